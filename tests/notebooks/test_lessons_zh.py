"""Checks that keep the Chinese edition (lessons/zh/) true to the English lessons.

Each lessons/zh/NN_*.md is the twin of lessons/NN_*.md. The Chinese text is written for a Chinese reader, not
rendered word for word, but these must be the same in both:

1. the fenced blocks (```python code, and the text figures), in the same order, character for character;
2. the set of equations ($...$ and $$...$$, whitespace normalised);
3. the numbers: the same set of numbers (code and maths included): every number of the English lesson appears in the
   Chinese one, and the Chinese one has no number the English lacks (a stale number left after the English changed);
4. the images and the link targets (a link to an English lesson or to the course map points, in the Chinese
   edition, to its Chinese twin; anchors are left out, since the Chinese headings have Chinese anchors).

Besides: every notebook opens (after its title and badge cells) with a markdown cell headed "## 中文导读" that links
to its Chinese lesson; the Chinese course map links every notebook and every Chinese lesson; and there is one
Chinese term per English term: every lesson's glossary (English and Chinese editions) agrees with the 术语表 of
lessons/zh/README.md.

A mismatch names the lesson and what differs. Each check has a case below showing it fails.
"""

import re
import string
import sys
import unicodedata
from pathlib import Path, PurePosixPath

import pytest

if __name__ == "__main__":  # run as a script (see the end of the file): make coursetools importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from coursetools import badges, notebooks  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.md"))
ZH = ROOT / "lessons" / "zh"
ZH_MAP = ZH / "README.md"
MAIN = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Numbers of the English text that the Chinese text may leave out. Keep this empty unless there is no natural
# Chinese way to keep a number, and say why next to each entry: {"NN_topic.md": {"number": "why"}}.
NUMBER_EXCEPTIONS: dict[str, dict[str, str]] = {}

FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", flags=re.S | re.M)
DISPLAY = re.compile(r"\$\$(.+?)\$\$", flags=re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", flags=re.S)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)\s]+)\)")


def fences(text):
    return FENCE.findall(text)


def prose(text):
    """The text without fenced blocks and inline code (where a $ is not maths)."""
    return re.sub(r"`[^`\n]*`", " ", FENCE.sub(" ", text))


def equations(text):
    body = prose(text)
    found = [m.group(1) for m in DISPLAY.finditer(body)]
    body = DISPLAY.sub(" ", body)
    found += [m.group(1) for m in INLINE.finditer(body)]
    return {" ".join(eq.split()) for eq in found}


def numbers(text):
    return {n.rstrip(".,") for n in NUMBER.findall(text)}


def resolve(md_file, target):
    """A link target as a path from the repository root (None for a same-page anchor)."""
    if re.match(r"[a-z]+:", target):
        return target
    path = target.split("#", 1)[0]
    if not path:
        return None
    parts = []
    for part in PurePosixPath(md_file.parent.relative_to(ROOT).as_posix(), path).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def twin_target(path):
    """Where the English edition's link `path` points in the Chinese edition."""
    if path and re.fullmatch(r"lessons/(\d\d_[a-z0-9_]+\.md|README\.md)", path):
        return "lessons/zh/" + path.split("/", 1)[1]
    if path == "README.md":
        return "README.zh-CN.md"
    return path


def links(md_file, text, english):
    found = []
    for bang, target in LINK.findall(FENCE.sub(" ", text)):
        path = resolve(md_file, target)
        if path is None:
            continue
        found.append((bang, twin_target(path) if english else path))
    return found


def glossary(text):
    """{English term: Chinese term} from the lesson's glossary table (the first table under a Glossary/术语表 heading)."""
    match = re.search(r"^## (?:Glossary|术语表)[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "a '## Glossary' (English) or '## 术语表' (Chinese) section"
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")][2:]
    return {row.split("|")[1].strip(): row.split("|")[2].strip() for row in rows}


def pairs():
    return [(en, ZH / en.name) for en in LESSONS]


def ids(items):
    return [en.stem for en, _ in items]


# ---------------------------------------------------------------------------------------------------------------
# The comparisons, as functions that return what differs (empty when the twins agree)


def fence_mismatch(en_text, zh_text):
    en, zh = fences(en_text), fences(zh_text)
    for i, (a, b) in enumerate(zip(en, zh)):
        if a != b:
            lines = list(zip(a.splitlines(), b.splitlines())) + [("(end)", "(end)")]
            k, (line_en, line_zh) = next((k, p) for k, p in enumerate(lines) if p[0] != p[1] or p[0] == "(end)")
            return f"fenced block {i + 1}, line {k + 1} differs: English {line_en!r}, Chinese {line_zh!r}"
    if len(en) != len(zh):
        return f"{len(en)} fenced blocks in English, {len(zh)} in Chinese"
    return ""


def equation_mismatch(en_text, zh_text):
    en, zh = equations(en_text), equations(zh_text)
    missing, extra = sorted(en - zh), sorted(zh - en)
    return (f"equations missing in Chinese: {missing}; " if missing else "") + (
        f"equations only in Chinese: {extra}" if extra else ""
    )


def number_mismatch(en_text, zh_text, name=""):
    allowed = set(NUMBER_EXCEPTIONS.get(name, {}))
    missing = numbers(en_text) - numbers(zh_text) - allowed
    extra = numbers(zh_text) - numbers(en_text) - allowed
    return (f"numbers of the English lesson missing in Chinese: {sorted(missing)}; " if missing else "") + (
        f"numbers only in Chinese (stale?): {sorted(extra)}" if extra else ""
    )


def link_mismatch(en_file, en_text, zh_file, zh_text):
    en, zh = links(en_file, en_text, True), links(zh_file, zh_text, False)
    missing = sorted(set(en) - set(zh))
    extra = sorted(set(zh) - set(en))
    return (f"links/images missing in Chinese: {missing}; " if missing else "") + (
        f"links/images only in Chinese: {extra}" if extra else ""
    )


# ---------------------------------------------------------------------------------------------------------------
# 1-4. Each Chinese lesson against its English twin


def test_every_lesson_has_a_chinese_twin():
    assert LESSONS
    missing = [en.name for en, zh in pairs() if not zh.exists()]
    assert not missing, f"write lessons/zh/ for: {missing}"
    extra = sorted({p.name for p in ZH.glob("[0-9][0-9]_*.md")} - {p.name for p in LESSONS})
    assert not extra, f"Chinese lessons without an English twin: {extra}"


@pytest.mark.parametrize("en_file, zh_file", pairs(), ids=ids(pairs()))
def test_same_code_blocks_and_figures(en_file, zh_file):
    problem = fence_mismatch(en_file.read_text(encoding="utf-8"), zh_file.read_text(encoding="utf-8"))
    assert not problem, f"{zh_file.name}: {problem} (copy the block from {en_file.name})"


@pytest.mark.parametrize("en_file, zh_file", pairs(), ids=ids(pairs()))
def test_same_equations(en_file, zh_file):
    problem = equation_mismatch(en_file.read_text(encoding="utf-8"), zh_file.read_text(encoding="utf-8"))
    assert not problem, f"{zh_file.name}: {problem}"


@pytest.mark.parametrize("en_file, zh_file", pairs(), ids=ids(pairs()))
def test_same_numbers(en_file, zh_file):
    problem = number_mismatch(en_file.read_text(encoding="utf-8"), zh_file.read_text(encoding="utf-8"), en_file.name)
    assert not problem, f"{zh_file.name}: {problem} (grep the English lesson for each and update the Chinese)"


@pytest.mark.parametrize("en_file, zh_file", pairs(), ids=ids(pairs()))
def test_same_images_and_links(en_file, zh_file):
    en_text, zh_text = en_file.read_text(encoding="utf-8"), zh_file.read_text(encoding="utf-8")
    problem = link_mismatch(en_file, en_text, zh_file, zh_text)
    assert not problem, f"{zh_file.name}: {problem}"
    for _, path in links(zh_file, zh_text, False):
        assert ":" in path or (ROOT / path).exists(), f"{zh_file.name}: link to a missing file {path}"


def test_the_exception_list_names_real_numbers():
    for name, exceptions in NUMBER_EXCEPTIONS.items():
        text = (ROOT / "lessons" / name).read_text(encoding="utf-8") + (ZH / name).read_text(encoding="utf-8")
        for number, why in exceptions.items():
            assert number in numbers(text) and why, (
                f"{name}: exception {number!r} is in neither edition or has no reason"
            )


def is_punct(char):
    """CommonMark's punctuation: ASCII punctuation (`$` and the backtick included) or Unicode P* and S*."""
    return char in string.punctuation or unicodedata.category(char)[0] in "PS"


def broken_bold(text):
    """Bold spans that CommonMark (GitHub) would not render: `**…。**正文` or `字**“…**`. A closing `**` after
    punctuation must be followed by a space or punctuation, an opening `**` before punctuation must follow one; in
    Chinese, put the full stop after the closing `**` (`**标题**。正文`)."""
    found = []
    for line in FENCE.sub("", text).splitlines():
        parts = line.split("**")
        for i in range(1, len(parts) - 1, 2):
            inner, before, after = parts[i], parts[i - 1], parts[i + 1]
            if not inner:
                continue
            closing_bad = is_punct(inner[-1]) and after and not (after[0].isspace() or is_punct(after[0]))
            opening_bad = is_punct(inner[0]) and before and not (before[-1].isspace() or is_punct(before[-1]))
            if closing_bad or opening_bad:
                found.append(f"**{inner}**")
    return found


@pytest.mark.parametrize("path", sorted(ZH.glob("*.md")) + [ROOT / "README.zh-CN.md"], ids=lambda p: p.name)
def test_bold_renders_next_to_chinese_punctuation(path):
    found = broken_bold(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name}: bold that GitHub shows as literal asterisks: {found[:5]}"


def test_the_bold_check_can_fail():
    assert broken_bold("**标题。**正文") and broken_bold("读**“引文”**后")
    assert (
        not broken_bold("**标题**。正文")
        and not broken_bold("- **“引文？**”正文")
        and not broken_bold("**Title.** Text")
    )


# ---------------------------------------------------------------------------------------------------------------
# 5. The notebooks' 中文导读 cells and the Chinese course map


def guide_cell(nb):
    return nb["cells"][badges.badge_cell_index(nb) + 1]


@pytest.mark.parametrize("path", MAIN, ids=[p.stem for p in MAIN])
def test_every_notebook_opens_with_a_chinese_guide(path):
    cell = guide_cell(notebooks.read_nb(path))
    text = notebooks.cell_source(cell)
    assert cell["cell_type"] == "markdown" and text.startswith("## 中文导读"), (
        "the cell after the title and badges is a markdown cell headed '## 中文导读'"
    )
    assert f"](../lessons/zh/{path.stem}.md)" in text, f"the 中文导读 links to ../lessons/zh/{path.stem}.md"
    assert (ZH / f"{path.stem}.md").exists()


def test_the_chinese_course_map_links_every_notebook_and_lesson():
    text = ZH_MAP.read_text(encoding="utf-8")
    targets = {path for _, path in links(ZH_MAP, text, False)}
    for nb in MAIN:
        assert f"notebooks/{nb.name}" in targets, f"the 中文 course map links {nb.name}"
        assert f"lessons/zh/{nb.stem}.md" in targets, f"the 中文 course map links lessons/zh/{nb.stem}.md"
    for path in targets:
        assert ":" in path or (ROOT / path).exists(), f"the 中文 course map links a missing file: {path}"


# ---------------------------------------------------------------------------------------------------------------
# 6. One glossary


def course_glossary():
    return glossary(ZH_MAP.read_text(encoding="utf-8"))


def glossary_mismatch(master, lesson_terms):
    problems = []
    for english, chinese in lesson_terms.items():
        if english not in master:
            problems.append(f"{english!r} is not in the 术语表 of lessons/zh/README.md")
        elif chinese != master[english]:
            problems.append(f"{english!r}: {chinese!r} here, {master[english]!r} in the 术语表")
    return problems


@pytest.mark.parametrize(
    "path", LESSONS + sorted(ZH.glob("[0-9][0-9]_*.md")), ids=lambda p: p.parent.name + "/" + p.stem
)
def test_each_glossary_agrees_with_the_course_glossary(path):
    problems = glossary_mismatch(course_glossary(), glossary(path.read_text(encoding="utf-8")))
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


def test_the_course_glossary_has_one_term_per_english_term():
    text = ZH_MAP.read_text(encoding="utf-8")
    rows = re.search(r"^## 术语表[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M).group(1)
    english = [r.split("|")[1].strip() for r in rows.splitlines() if r.startswith("|")][2:]
    assert len(english) == len(set(english)), "an English term twice in the 术语表"


# ---------------------------------------------------------------------------------------------------------------
# Each check can fail


def test_the_twin_checks_can_fail():
    en = "Text $a_t$ with 41 s and [nb](../notebooks/01_simple_rnn.ipynb).\n\n```python\nx = 1\n```\n"
    zh = "文字 $a_t$，41 s，[笔记本](../../notebooks/01_simple_rnn.ipynb)。\n\n```python\nx = 1\n```\n"
    en_file, zh_file = ROOT / "lessons" / "01_x.md", ZH / "01_x.md"
    assert not fence_mismatch(en, zh) and not equation_mismatch(en, zh) and not number_mismatch(en, zh)
    assert not link_mismatch(en_file, en, zh_file, zh)
    assert fence_mismatch(en, zh.replace("x = 1", "x = 2"))
    assert fence_mismatch(en, zh + "\n```python\ny = 2\n```\n")
    assert equation_mismatch(en, zh.replace("$a_t$", "$h_t$"))
    assert number_mismatch(en, zh.replace("41", "42"))
    assert number_mismatch(en.replace("x = 1", "x = 7"), zh)  # numbers inside code count
    assert number_mismatch(en, zh + "另有 43 s。")  # a number the English does not have
    assert link_mismatch(en_file, en, zh_file, zh.replace("01_simple_rnn", "02_vanishing_gradients"))
    assert link_mismatch(en_file, en + "![fig](fig.png)\n", zh_file, zh)
    # a link to an English lesson must become a link to its Chinese twin
    en_l = "See [lesson 03](03_lstm.md#the-idea)."
    assert not link_mismatch(en_file, en_l, zh_file, "见[第 03 课](03_lstm.md#思路)。")
    assert link_mismatch(en_file, en_l, zh_file, "见[第 03 课](../03_lstm.md)。")


def test_the_glossary_check_can_fail():
    master = {"cell": "循环单元", "units": "隐藏单元"}
    assert not glossary_mismatch(master, {"cell": "循环单元"})
    assert glossary_mismatch(master, {"cell": "单元"})
    assert glossary_mismatch(master, {"cue": "线索符号"})


def test_the_guide_check_can_fail():
    nb = notebooks.read_nb(MAIN[0])
    nb["cells"].pop(badges.badge_cell_index(nb) + 1)
    assert not notebooks.cell_source(guide_cell(nb)).startswith("## 中文导读")


# ---------------------------------------------------------------------------------------------------------------
# Re-syncing after the English changes: `python3 tests/notebooks/test_lessons_zh.py [NN ...]` lists every mismatch
# of each pair at once; with --copy-fences it also copies the English fenced blocks into the Chinese lesson, in
# order (only when both have the same number of blocks; code and figures are never translated).


def report(names=(), copy_fences=False):
    status = 0
    for en_file, zh_file in pairs():
        if names and en_file.name[:2] not in names:
            continue
        en_text, zh_text = en_file.read_text(encoding="utf-8"), zh_file.read_text(encoding="utf-8")
        if copy_fences and fence_mismatch(en_text, zh_text) and len(fences(en_text)) == len(fences(zh_text)):
            blocks = iter(fences(en_text))
            zh_text = FENCE.sub(lambda _: next(blocks), zh_text)
            zh_file.write_text(zh_text, encoding="utf-8")
            print(f"{zh_file.name}: fenced blocks copied from {en_file.name}")
        problems = [
            fence_mismatch(en_text, zh_text),
            equation_mismatch(en_text, zh_text),
            number_mismatch(en_text, zh_text, en_file.name),
            link_mismatch(en_file, en_text, zh_file, zh_text),
            "; ".join(glossary_mismatch(course_glossary(), glossary(en_text))),
            "; ".join(glossary_mismatch(course_glossary(), glossary(zh_text))),
        ]
        for problem in filter(None, problems):
            status = 1
            print(f"{zh_file.name}: {problem}")
    return status


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(report([a for a in args if a != "--copy-fences"], "--copy-fences" in args))
