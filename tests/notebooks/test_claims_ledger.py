"""The claims ledger: every sentence that states a result of training points at the cell that asserts it.

A sentence in the README, the course map, a lesson (01-08), or a notebook's overview or summary that states a
training result carries a marker right after it (after its full stop):

    ... the LSTM is above 0.9 at every gap on all three seeds. <!-- claim: 03#c035 -->

`NN#cell-id` names a cell of notebook NN. A sentence that only quotes what a run printed, without a verdict the
notebook asserts ("in the stored run, seed 1 reached 0.47"), carries `<!-- shown: NN#cell-id -->` instead, pointing
at the cell that printed it. This test fails when
- the cell does not exist; a claim's cell has no `assert` (and calls no `check_...` or `report(...)`); a shown
  cell has no stored output;
- the sentence names a decimal number or a percentage that no stored output of notebook NN shows (rounding to the
  sentence's precision allowed). A number from another notebook points there (a second marker); a number from
  outside the course names its source with `<!-- source: ... -->`, and is then not compared;
- a sentence looks like a training result (a word about training and a verdict: a number, a comparison, a seed
  count) and carries neither a claim marker nor `<!-- not-a-result: why -->` (for instance a sentence that only
  describes what a section does, or quotes a run that is not stored and says so).
"""

import re

from conftest import ROOT

from coursetools import notebooks

LEDGERED = ["01", "02", "03", "04", "05", "06", "07", "08"]

MARKER = re.compile(r"<!--\s*(claim|shown|source|not-a-result):\s*(.*?)\s*-->", re.S)
CLAIM_TARGET = re.compile(r"(\d\d)#([\w-]+)")
# Words that say a sentence is about what training did ...
TRAINING = re.compile(
    r"\b(accura\w*|perplexit\w*|bits per character|loss(es)?|solv\w*|learn\w*|remember\w*|forg[eo]t\w*|"
    r"trained|training|seeds?|beats?|chance|validation|converg\w*)\b",
    re.I,
)
# ... and words or numbers that say what came of it.
VERDICT = re.compile(
    r"(\b\d*\.\d+\b|\d+(\.\d+)?\s?%|\bthan\b|\bnear\b|\bbelow\b|\babove\b|\bahead\b|\bbehind\b|\bcannot\b|"
    r"\bnever\b|\bevery seed\b|\ball (three|five|six|\d+) seeds\b|\bof (three|five|\d+) seeds\b|\bat chance\b|"
    r"\bfails?\b|\bfailed\b|\bsolves?\b|\bsolved\b|\bbeats?\b|\bwins?\b)",
    re.I,
)
DECIMAL = re.compile(r"(?<![\w.^_{])(\d+\.\d+)(?![\w.]*\d)\s?(%?)")


# ---------------------------------------------------------------- reading the texts into sentences


def strip_non_prose(text):
    """Drop code blocks, display and inline maths, inline code and links' targets: numbers there are not claims."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]*\$", " MATH ", text)
    text = re.sub(r"`[^`\n]*`", " CODE ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<details>.*?</details>", " ", text, flags=re.S)
    return text


def drop_sections(markdown, headings):
    """Drop the `##` sections whose title contains one of `headings` (the glossary, the further reading)."""
    parts = re.split(r"(?m)^(?=## )", markdown)
    return "".join(p for p in parts if not any(h in p.split("\n", 1)[0].lower() for h in headings))


def sentences(text):
    """Sentences of a markdown text, each with the markers that follow it: [(sentence, [(kind, value)])]."""
    text = strip_non_prose(text)
    text = MARKER.sub(lambda m: f" \x00{m.group(1)}\x01{m.group(2)}\x00 ", text)
    text = re.sub(r"^(\|[^\n]*)\n(?=\|)", r"\1 ", text, flags=re.M)  # a table is one unit: its marker follows it
    units = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*] |\d+\. |\||#))", text):  # paragraphs, list items, rows
        block = " ".join(block.split())
        if block.startswith("|"):
            units.append(block)
        else:
            units += re.split(r"(?<=[.!?])\s+(?=[\x00A-Z*(\[])", block)
    out = []
    for unit in units:
        leading = re.match(r"(\s*\x00[^\x00]*\x00)*", unit).group(0)  # markers after the previous full stop
        if leading and out:
            out[-1][1].extend(re.findall(r"\x00([\w-]+)\x01(.*?)\x00", leading))
            unit = unit[len(leading) :]
        markers = re.findall(r"\x00([\w-]+)\x01(.*?)\x00", unit)
        prose = re.sub(r"\x00.*?\x00", "", unit).strip()
        if prose:
            out.append((prose, list(markers)))
    return out


def text_sources():
    """(label, notebook the text is about or None, markdown) for every text in the ledger."""
    yield "README.md", None, (ROOT / "README.md").read_text(encoding="utf-8")
    yield (
        "lessons/README.md",
        None,
        drop_sections((ROOT / "lessons/README.md").read_text(encoding="utf-8"), ["where to go", "glossary"]),
    )
    for nn in LEDGERED:
        (lesson,) = (ROOT / "lessons").glob(f"{nn}_*.md")
        text = drop_sections(lesson.read_text(encoding="utf-8"), ["glossary", "further reading", "exercises"])
        yield lesson.relative_to(ROOT).as_posix(), nn, text
        (path,) = (ROOT / "notebooks").glob(f"{nn}_*.ipynb")
        for cell in notebooks.read_nb(path)["cells"]:
            source = notebooks.cell_source(cell)
            if cell["cell_type"] == "markdown" and re.match(r"## (Overview|Summary)\b", source):
                yield f"{path.relative_to(ROOT).as_posix()}#{cell['id']}", nn, source


# ---------------------------------------------------------------- what a claim is checked against


def notebook_path(nn):
    found = list((ROOT / "notebooks").glob(f"{nn}_*.ipynb"))
    return found[0] if len(found) == 1 else None


_cells = {}


def cells_of(nn):
    if nn not in _cells:
        path = notebook_path(nn)
        _cells[nn] = {c["id"]: c for c in notebooks.read_nb(path)["cells"]} if path else {}
    return _cells[nn]


def stored_text(nn):
    texts = []
    for cell in cells_of(nn).values():
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            data = output.get("data", {})
            if "text/plain" in data and "image/png" not in data:
                texts.append("".join(data["text/plain"]))
    return "\n".join(texts)


def stored_numbers(nn):
    """Every decimal number the stored outputs of notebook nn print (with a percentage also as a fraction)."""
    numbers = set()
    for match in re.finditer(r"(?<![\w.])-?(\d+\.\d+(?:e[-+]?\d+)?)(\s?%)?", stored_text(nn)):
        value = float(match.group(1))
        numbers.add(value)
        if match.group(2):
            numbers.add(value / 100)
    return numbers


def shown(number, percent, numbers):
    """Whether the stated number (as written, e.g. '0.47' or '18.5' with '%') is a stored number rounded."""
    digits = len(number.split(".")[1])
    value = float(number)
    candidates = [value] + ([value / 100] if percent else [])
    for want in candidates:
        places = digits + (2 if want is not value else 0)
        if any(abs(round(n, places) - round(want, places)) < 10 ** -(places + 3) for n in numbers):
            return True
        if percent and any(abs(round(100 * n, digits) - value) < 10 ** -(digits + 3) for n in numbers):
            return True
    return False


def asserts(cell):
    source = notebooks.cell_source(cell)
    return cell["cell_type"] == "code" and bool(re.search(r"^\s*assert\b|\bcheck_\w+\(|\breport\(", source, re.M))


def problems_of(label, sentence, markers):
    """What is wrong with one sentence of the ledger: a list of messages (empty when it is fine)."""
    kinds = {kind for kind, _ in markers}
    if not kinds & {"claim", "shown", "not-a-result", "source"}:
        is_table = sentence.startswith("|")  # a table states results when it has measured numbers
        if TRAINING.search(sentence) and VERDICT.search(sentence) and (not is_table or DECIMAL.search(sentence)):
            return [f"{label}: states a training result without a marker: {sentence!r}"]
        return []
    problems, targets = [], []
    for kind, value in markers:
        if kind not in ("claim", "shown"):
            continue
        target = CLAIM_TARGET.fullmatch(value)
        if not target:
            problems.append(f"{label}: claim marker {value!r} is not NN#cell-id")
            continue
        nn, cell_id = target.groups()
        cell = cells_of(nn).get(cell_id)
        if cell is None:
            problems.append(f"{label}: claim points at {nn}#{cell_id}, which does not exist: {sentence!r}")
        elif kind == "shown" and not cell.get("outputs"):
            problems.append(f"{label}: points at {nn}#{cell_id}, which has no stored output: {sentence!r}")
        elif kind == "claim" and not asserts(cell):
            problems.append(f"{label}: claim points at {nn}#{cell_id}, which asserts nothing: {sentence!r}")
        targets.append((nn, cell_id))
    if kinds & {"claim", "shown"} and "source" not in kinds:
        numbers = set().union(*(stored_numbers(nn) for nn, _ in targets)) if targets else set()
        for nn, cell_id in targets:  # an asserted threshold, a set-up constant of that cell
            source = notebooks.cell_source(cells_of(nn).get(cell_id, {}))
            numbers |= {float(n) for n in re.findall(r"(?<![\w.])(\d+\.\d+)", source)}
        for number, percent in DECIMAL.findall(sentence):
            if not shown(number, percent, numbers):
                problems.append(
                    f"{label}: {number}{percent} is printed by no stored output of notebook(s) "
                    f"{', '.join(sorted({nn for nn, _ in targets}))} nor written in the cells pointed at: {sentence!r}"
                )
    return problems


def ledger_problems(sources):
    found = []
    for label, _nn, text in sources:
        for bad in re.findall(r"<!--\s*(?:claim|shown|source|not-a-result)\b(?!:)[^>]*-->", text):
            found.append(f"{label}: malformed marker {bad!r} (the kind is followed by a colon)")
        for sentence, markers in sentences(text):
            found += problems_of(label, sentence, markers)
    return found


# ---------------------------------------------------------------- the tests


def test_every_training_claim_is_asserted_and_its_numbers_stored():
    problems = ledger_problems(text_sources())
    assert not problems, f"{len(problems)} sentence(s) off the ledger:\n" + "\n".join(problems)


def test_the_ledger_counts_claims():
    claims = [m for _l, _n, text in text_sources() for _s, ms in sentences(text) for m in ms if m[0] == "claim"]
    assert len(claims) >= 20, "the ledger should hold the course's claims about training"


def test_the_ledger_can_fail():
    good = "The LSTM is above 0.9 at every gap on every seed. <!-- claim: 03#c035 -->"
    broken = {
        "a cell that is gone": "The LSTM is above 0.9 at every gap on every seed. <!-- claim: 03#no-such-cell -->",
        "a cell that asserts nothing": "The LSTM is above 0.9 at every gap on every seed. <!-- claim: 03#c000 -->",
        "a number no output shows": "The LSTM is at 0.4321 at every gap on every seed. <!-- claim: 03#c035 -->",
        "a result without a marker": "The LSTM is above 0.9 at every gap on every seed.",
        "a malformed marker": "The LSTM is above 0.9 at every gap on every seed. <!-- claim 03#c035 -->",
        "a shown cell without output": "In the stored run the loss fell to 0.01. <!-- shown: 03#c000 -->",
    }
    assert ledger_problems([("example", None, good)]) == []
    for what, text in broken.items():
        assert ledger_problems([("example", None, text)]), f"the ledger missed {what}"
    table = "| model | accuracy |\n|---|---|\n| LSTM | 0.4321 |\n<!-- shown: 03#c034 -->"
    assert ledger_problems([("example", None, table)]), "the ledger missed a number in a table"
