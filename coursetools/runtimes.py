"""Measured run times, kept in one place: notebooks/run_times.json, written by `course.py execute`. Every other
mention is generated from it (`course.py times` writes them again): the table between the run-times markers in the
README, the "Time to run" sentence of each notebook's overview, and the "runs ... in about N s" sentences of the
lessons. A test fails when one of them disagrees with the record."""

import json
import re
from pathlib import Path

from . import NOTEBOOKS, ROOT
from .notebooks import all_notebooks, cell_source, read_nb, write_nb

RUN_TIMES = NOTEBOOKS / "run_times.json"
README = ROOT / "README.md"
LESSONS = ROOT / "lessons"
START, END = "<!-- run-times:start (written by `python3 course.py times`) -->", "<!-- run-times:end -->"

# The overview's sentence, up to the closing bracket of "(measured with ...)" when there is one.
OVERVIEW = re.compile(r"\*\*Time to run\.\*\* About [^()\n]*?(?:\([^)]*\))?(?=[.;,]|\n|$)")
# A lesson's sentences about the whole notebook, and about its solutions notebook.
LESSON = re.compile(r"(runs (?:top to bottom )?in about )\d+ s(?! per)")
LESSON_SOLUTIONS = re.compile(r"(the solutions notebook in about )\d+ s")


def load() -> dict:
    """{"notebooks/01_simple_rnn.ipynb": seconds, ...}"""
    return json.loads(RUN_TIMES.read_text(encoding="utf-8")) if RUN_TIMES.exists() else {}


def record(path: Path, seconds: float) -> None:
    times = load()
    times[path.resolve().relative_to(ROOT).as_posix()] = round(seconds)
    RUN_TIMES.write_text(json.dumps(dict(sorted(times.items())), indent=1) + "\n", encoding="utf-8", newline="\n")


def solutions_of(notebook: str) -> str:
    path = Path(notebook)
    return (path.parent / "solutions" / f"{path.stem}_solutions.ipynb").as_posix()


def overview_sentence(seconds: int, solutions: bool) -> str:
    where = "on a 2-core CPU" if solutions else "top to bottom on a 2-core CPU"
    return f"**Time to run.** About {seconds} s {where} (measured with `python3 course.py execute`)"


def readme_table(times: dict) -> str:
    rows = ["| Notebook | Run time | Its solutions |", "|---|---|---|"]
    for notebook in sorted(n for n in times if "/solutions/" not in n):
        solutions = times.get(solutions_of(notebook))
        rows.append(
            f"| [{Path(notebook).stem}]({notebook}) | {times[notebook]} s | "
            + (f"{solutions} s |" if solutions is not None else "– |")
        )
    return "\n".join(rows)


def rendered() -> dict:
    """{path: text} of every file whose run times are generated, as they should read now."""
    times, files = load(), {}
    text = README.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        files[README] = head + START + "\n" + readme_table(times) + "\n" + END + rest.split(END, 1)[1]
    for path in all_notebooks():
        key = path.relative_to(ROOT).as_posix()
        if key in times:
            nb = read_nb(path)
            sentence = overview_sentence(times[key], "/solutions/" in key)
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown" and "**Time to run.**" in cell_source(cell):
                    cell["source"] = OVERVIEW.sub(sentence, cell_source(cell), count=1)
            files[path] = nb
    for lesson in sorted(LESSONS.glob("[0-9][0-9]_*.md")):
        notebook = f"notebooks/{lesson.stem}.ipynb"
        text = lesson.read_text(encoding="utf-8")
        if notebook in times:
            text = LESSON.sub(lambda m: f"{m.group(1)}{times[notebook]} s", text)
        if solutions_of(notebook) in times:
            text = LESSON_SOLUTIONS.sub(lambda m: f"{m.group(1)}{times[solutions_of(notebook)]} s", text)
        files[lesson] = text
    return files


def comparable(path: Path, content) -> list:
    """A file's text, or a notebook's cell sources (a cell's source may be a string or a list of lines)."""
    if path.suffix != ".ipynb":
        return content
    return [cell_source(cell) for cell in content["cells"]]


def out_of_date() -> list:
    """The files whose run times disagree with notebooks/run_times.json."""
    on_disk = lambda path: read_nb(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    return [path for path, want in rendered().items() if comparable(path, on_disk(path)) != comparable(path, want)]


def write_all() -> list:
    changed = out_of_date()
    for path, want in rendered().items():
        if path in changed:
            if path.suffix == ".ipynb":
                write_nb(path, want)
            else:
                path.write_text(want, encoding="utf-8", newline="\n")
    return changed


def cmd_times(args) -> int:
    for path in write_all():
        print(f"run times written into {path.relative_to(ROOT)}")
    return 0
