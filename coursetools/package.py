"""The rnn_course package, exported from the notebooks: one module per notebook, in course order, holding the
notebook's cells tagged 'definition'. What a module takes from an earlier one is what the notebook carries over.
`course.py export` writes it; a test fails when it is out of sync with the notebooks."""

import ast
import re
from pathlib import Path

from . import ROOT
from .notebooks import CARRIED_TAG, DEFINITION_TAG, all_notebooks, carried_names, cell_source, read_nb, tagged_cells

PACKAGE = ROOT / "rnn_course"
SETUP_TAG = "setup"
HEADER = '''"""{title}

Generated from notebooks/{notebook} by `python3 course.py export`: edit the notebook, not this file.
"""
'''


def course_notebooks() -> list:
    """The main notebooks (not the solutions), in course order."""
    return [p for p in all_notebooks() if p.parent.name == "notebooks"]


def module_name(notebook: str) -> str:
    """'03_lstm.ipynb' -> 'lstm': the notebook's topic, a valid module name."""
    return re.sub(r"^\d+_", "", Path(notebook).stem)


def setup_imports(nb: dict) -> list:
    """The import statements of the notebook's setup cell (not its environment lines), as written there."""
    imports = []
    for cell in tagged_cells(nb, SETUP_TAG):
        source = cell_source(cell)
        for node in ast.parse(source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(ast.get_source_segment(source, node))
    return imports


def used_names(source: str) -> set:
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def module_source(path: Path) -> str:
    """The text of the module exported from one notebook."""
    nb = read_nb(path)
    title = next(cell_source(c) for c in nb["cells"] if cell_source(c).startswith("# ")).splitlines()[0][2:].strip()
    body = "\n\n\n".join(cell_source(c).strip("\n") for c in tagged_cells(nb, DEFINITION_TAG))
    used = used_names(body)
    imports = []
    for statement in setup_imports(nb):
        node = ast.parse(statement).body[0]
        bound = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        if bound & used:
            imports.append(statement)
    carried = []
    for cell in tagged_cells(nb, CARRIED_TAG):
        origin, names = carried_names(cell)
        wanted = [n for n in names if n in used]
        if wanted:
            carried.append(f"from .{module_name(origin)} import {', '.join(wanted)}")
    head = HEADER.format(title=title, notebook=path.name)
    parts = [head, "\n".join(sorted(imports, key=lambda s: (s.startswith("from"), s)))]
    if carried:
        parts.append("\n".join(carried))
    return "\n".join(p for p in parts if p) + ("\n\n\n" + body if body else "") + "\n"


def init_source(paths) -> str:
    """rnn_course/__init__.py: the course's layers at the top level, every module importable."""
    lines = [
        '"""The recurrent layers built in the course, importable: `from rnn_course import LSTMCell, Recurrence`.',
        "",
        "Generated from the notebooks by `python3 course.py export`: edit the notebooks, not these files.",
        'Each module holds the definitions of one notebook (rnn_course.lstm: notebooks/03_lstm.ipynb)."""',
    ]
    exported = []
    for path in paths:
        classes = [
            node.name
            for cell in tagged_cells(read_nb(path), DEFINITION_TAG)
            for node in ast.parse(cell_source(cell)).body
            if isinstance(node, ast.ClassDef)
        ]
        classes = list(dict.fromkeys(classes))  # a class grown in its own notebook is defined twice
        if classes:
            lines.append(f"from .{module_name(path.name)} import {', '.join(classes)}")
            exported += [c for c in classes if c not in exported]  # a grown class: the later module's wins
    lines += ["", f"__all__ = {exported!r}"]
    return "\n".join(lines) + "\n"


def exported_files() -> dict:
    """{path: text} of every file of the package."""
    paths = course_notebooks()
    files = {PACKAGE / f"{module_name(p.name)}.py": module_source(p) for p in paths}
    files[PACKAGE / "__init__.py"] = init_source(paths)
    return files


def out_of_sync() -> list:
    """The package's files that differ from what the notebooks export, and stray .py files."""
    files = exported_files()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    stray = [p for p in PACKAGE.glob("*.py") if p not in files]
    return stale + stray


def cmd_export(args) -> int:
    PACKAGE.mkdir(exist_ok=True)
    files = exported_files()
    for stray in [p for p in PACKAGE.glob("*.py") if p not in files]:
        stray.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8", newline="\n")
    print(f"exported {len(files) - 1} module(s) to {PACKAGE.name}/")
    return 0
