"""Checks that keep the lessons true to the course: agendas that add up, and code quoted as it is in the notebooks.

1. Every workshop agenda in lessons/README.md states its length in a line
   "Length <total> (<start>–<end>): teaching <t>, of which exercises <e>; breaks <b>." and has a table
   "| Time | Minutes | Block |". Each row's minutes must match its clock times, the rows must follow one another
   without gaps, and the sums must equal the stated lengths. A notebook's teaching row ("NN · ...", not its
   exercise block) must last what its lesson's timing table gives without that table's Exercises row, and every
   lesson's timing table must add up to the slot its heading names.
2. A ```python block in lessons/NN_*.md quotes course code: its non-blank lines, whitespace-stripped, must appear
   as a run of consecutive non-blank lines of one code cell of notebooks/NN_*.ipynb or of its solutions notebook.
   A block that is deliberately not course code is marked by the line `<!-- sketch -->` right above its fence,
   and the lesson says so in the text just before it (the word "sketch").
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.md"))
README = ROOT / "lessons" / "README.md"
SKETCH_MARK = "<!-- sketch -->"


# ---------------------------------------------------------------------------------------------------------------
# 1. Agendas


def minutes(text):
    """'4 h 15 min' -> 255, '8 h' -> 480, '25 min' -> 25."""
    match = re.fullmatch(r"\s*(?:(\d+) h)?\s*(?:(\d+) min)?\s*", text)
    assert match and any(match.groups()), f"not a duration: {text!r}"
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def clock(text):
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


LENGTH = re.compile(
    r"^Length (?P<total>[^(]+?) \((?P<start>\d\d:\d\d)–(?P<end>\d\d:\d\d)\): teaching (?P<teaching>.+?), "
    r"of which exercises (?P<exercises>.+?); breaks (?P<breaks>.+?)\.$",
    flags=re.M,
)
ROW = re.compile(r"^\| (?P<start>\d\d:\d\d)–(?P<end>\d\d:\d\d) \| (?P<minutes>\d+) \| (?P<block>.+?) \|$", flags=re.M)


def parse_agendas(text):
    """{heading: (length match, [row matches])} for every ### section of '## Workshop agendas'."""
    section = text.split("## Workshop agendas", 1)[1].split("\n## ", 1)[0]
    agendas = {}
    for part in section.split("\n### ")[1:]:
        heading = part.splitlines()[0]
        agendas[heading] = (LENGTH.search(part), list(ROW.finditer(part)))
    return agendas


def is_break(block):
    return block.startswith(("Break", "Lunch"))


def is_exercises(block):
    return re.match(r"\d\d · Exercises", block) is not None


def lesson_timing(lesson_text):
    """(slot length from the heading, sum of the Minutes column, minutes of the Exercises row)."""
    heading = re.search(r"^### Timing for a (\d+)-minute slot", lesson_text, flags=re.M)
    assert heading, "a '### Timing for a N-minute slot' heading"
    table = lesson_text[heading.end() :].split("\n\n", 2)[1]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:]]
    per_section = {section.strip(): int(value) for section, value in rows}
    exercises = [value for section, value in per_section.items() if re.match(r"\d+\. Exercises", section)]
    assert len(exercises) == 1, "one Exercises row in the timing table"
    return int(heading.group(1)), sum(per_section.values()), exercises[0]


def check_agenda(length, rows, teaching_minutes_of):
    """Raise AssertionError unless the agenda adds up; teaching_minutes_of(NN) is a notebook's slot without exercises."""
    assert length, "a 'Length ... (start–end): teaching ..., of which exercises ...; breaks ....' line"
    assert rows, "a '| Time | Minutes | Block |' table"
    assert rows[0]["start"] == length["start"] and rows[-1]["end"] == length["end"], "the table spans the stated times"
    for previous, row in zip(rows, rows[1:]):
        assert previous["end"] == row["start"], f"a gap or an overlap before {row['block']!r}"
    for row in rows:
        assert clock(row["end"]) - clock(row["start"]) == int(row["minutes"]), f"clock and minutes differ: {row[0]!r}"
        notebook = re.match(r"(\d\d) · ", row["block"])
        if notebook and not is_exercises(row["block"]):
            want = teaching_minutes_of(notebook.group(1))
            assert int(row["minutes"]) == want, f"{row['block']!r}: {row['minutes']} min, its lesson gives {want}"
    total = sum(int(row["minutes"]) for row in rows)
    assert total == minutes(length["total"]) == clock(length["end"]) - clock(length["start"]), "the total"
    assert sum(int(r["minutes"]) for r in rows if not is_break(r["block"])) == minutes(length["teaching"]), "teaching"
    assert sum(int(r["minutes"]) for r in rows if is_exercises(r["block"])) == minutes(length["exercises"]), "exercises"
    assert sum(int(r["minutes"]) for r in rows if is_break(r["block"])) == minutes(length["breaks"]), "breaks"


def teaching_minutes(number):
    lesson = next(p for p in LESSONS if p.name.startswith(f"{number}_"))
    _, total, exercises = lesson_timing(lesson.read_text(encoding="utf-8"))
    return total - exercises


AGENDAS = parse_agendas(README.read_text(encoding="utf-8"))


def test_there_is_a_half_day_and_a_full_day_with_the_capstone():
    headings = list(AGENDAS)
    assert any(h.startswith("Half day") for h in headings)
    full = [h for h in headings if h.startswith("Full day")]
    assert full and any(re.search(r"08 · ", row["block"]) for h in full for row in AGENDAS[h][1])


@pytest.mark.parametrize("heading", list(AGENDAS))
def test_agenda_slots_add_up_to_its_stated_length(heading):
    length, rows = AGENDAS[heading]
    check_agenda(length, rows, teaching_minutes)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_timing_table_adds_up_to_its_slot(lesson):
    slot, total, _ = lesson_timing(lesson.read_text(encoding="utf-8"))
    assert total == slot, f"{lesson.name}: the sections add up to {total} minutes, the heading says {slot}"


def test_the_agenda_check_can_fail():
    heading = next(iter(AGENDAS))
    section = README.read_text(encoding="utf-8").split(f"### {heading}", 1)[1].split("\n### ", 1)[0]
    first_row = ROW.search(section).group(0)
    start, end = re.search(r"(\d\d:\d\d)–(\d\d:\d\d)", first_row).groups()
    one_more = f"{clock(end) + 1 - clock(start)}"
    broken = [
        # one slot a minute longer, its clock times unchanged
        section.replace(first_row, re.sub(r"\| \d+ \|", f"| {one_more} |", first_row, count=1)),
        # the stated total a minute off
        LENGTH.sub(lambda m: m.group(0).replace(f"Length {m['total']} ", "Length 1 min ", 1), section),
    ]
    for text in broken:
        with pytest.raises(AssertionError):
            check_agenda(LENGTH.search(text), list(ROW.finditer(text)), teaching_minutes)


# ---------------------------------------------------------------------------------------------------------------
# 2. Code quoted in the lessons


def python_blocks(text):
    """[(first line number, lines of the block, is marked as a sketch, text before the block)] for ```python blocks."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if re.fullmatch(r"\s*```(python|py|python3)\s*", lines[i]):
            j = next(k for k in range(i + 1, len(lines)) if lines[k].strip() == "```")
            marked = i > 0 and lines[i - 1].strip() == SKETCH_MARK
            blocks.append((i + 1, lines[i + 1 : j], marked, "\n".join(lines[max(0, i - 8) : i])))
            i = j
        i += 1
    return blocks


def notebook_code_cells(number):
    paths = sorted((ROOT / "notebooks").glob(f"{number}_*.ipynb")) + sorted(
        (ROOT / "notebooks" / "solutions").glob(f"{number}_*.ipynb")
    )
    assert paths, f"no notebook {number}"
    cells = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells += ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return cells


def quoted_in(block_lines, cells):
    """True when the block's non-blank stripped lines are consecutive non-blank stripped lines of one cell."""
    want = [line.strip() for line in block_lines if line.strip()]
    if not want:
        return False
    for cell in cells:
        have = [line.strip() for line in cell.splitlines() if line.strip()]
        if any(have[k : k + len(want)] == want for k in range(len(have) - len(want) + 1)):
            return True
    return False


BLOCKS = [(lesson, *block) for lesson in LESSONS for block in python_blocks(lesson.read_text(encoding="utf-8"))]


def test_at_least_one_lesson_quotes_course_code():
    assert any(not marked for _, _, _, marked, _ in BLOCKS), "otherwise the quoting check below checks nothing"


@pytest.mark.parametrize("lesson, line, block, marked, before", BLOCKS, ids=[f"{b[0].name}:{b[1]}" for b in BLOCKS])
def test_python_in_a_lesson_is_the_notebooks_code_or_a_marked_sketch(lesson, line, block, marked, before):
    if marked:
        assert "sketch" in before.replace(SKETCH_MARK, "").lower(), (
            f"{lesson.name}:{line}: a block marked {SKETCH_MARK} must be called a sketch in the text above it"
        )
        return
    number = lesson.name[:2]
    assert quoted_in(block, notebook_code_cells(number)), (
        f"{lesson.name}:{line}: this ```python block is not code from notebook {number} (or its solutions); quote "
        f"the notebook's lines exactly, or mark the block with {SKETCH_MARK} and call it a sketch"
    )


def test_the_quoting_check_can_fail():
    cell = "def f(x):\n    y = x + 1  # one\n\n    return y\n"
    assert quoted_in(["y = x + 1  # one", "", "return y"], [cell])
    assert not quoted_in(["y = x + 2  # one", "return y"], [cell])  # a changed line
    assert not quoted_in(["def f(x):", "return y"], [cell])  # lines that are not consecutive
    assert not quoted_in([""], [cell])  # an empty block quotes nothing
    text = "A sketch:\n\n<!-- sketch -->\n```python\nx = 1\n```\n\nCode:\n\n```python\ny = 2\n```\n"
    assert [(marked, lines) for _, lines, marked, _ in python_blocks(text)] == [(True, ["x = 1"]), (False, ["y = 2"])]
