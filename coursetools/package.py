"""The rnn_course package, exported from the notebooks: one module per notebook, in course order, holding the
notebook's cells tagged 'definition'. What a module takes from an earlier one is what the notebook carries over.
`course.py export` writes it; a test fails when it is out of sync with the notebooks.

What a user of the layers never imports stays out of the installed package: the exercise checkers and the embedded
copies of data (definition cells titled '#@title Exercise checkers' or '#@title Embedded copy') go to the sibling
folder course_extras/, one module per notebook too, which the tests import from the repository root and
pyproject.toml does not install. rnn_course/__init__.py exports the classes registered with Keras (the layers),
not the helpers they are built from."""

import ast
import re
from pathlib import Path

from . import ROOT
from .notebooks import CARRIED_TAG, DEFINITION_TAG, all_notebooks, carried_names, cell_source, read_nb, tagged_cells

PACKAGE = ROOT / "rnn_course"
EXTRAS = ROOT / "course_extras"
EXTRA_TITLES = ("#@title Exercise checkers", "#@title Embedded copy")
SETUP_TAG = "setup"
HEADER = '''"""{title}

Generated from notebooks/{notebook} by `python3 course.py export`: edit the notebook, not this file.
"""
'''
EXTRAS_HEADER = '''"""{title}: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/{notebook} by `python3 course.py export`: edit the notebook, not this file.
"""
'''
EXTRAS_INIT = '''"""The notebooks' exercise checkers and embedded copies of data, one module per notebook, for the tests and the
solutions; the layers are in rnn_course. Not installed by `pip install -e .`.

Generated from the notebooks by `python3 course.py export`: edit the notebooks, not these files."""
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
    """The names the source reads, less those a function imports for itself (`import tensorflow as tf` inside
    `gradients`: a backend the module must not import when it is imported)."""
    tree = ast.parse(source)
    local = {
        (alias.asname or alias.name).split(".")[0]
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - local


def is_extra(cell) -> bool:
    """An exercise-checker or embedded-data cell: exported to course_extras/, not to the installed package."""
    return cell_source(cell).lstrip().startswith(EXTRA_TITLES)


def definition_parts(nb: dict) -> tuple:
    """(the layer cells, the extra cells) among a notebook's cells tagged 'definition'."""
    cells = tagged_cells(nb, DEFINITION_TAG)
    return [c for c in cells if not is_extra(c)], [c for c in cells if is_extra(c)]


def defined_names(cells) -> set:
    names = set()
    for cell in cells:
        for node in ast.parse(cell_source(cell)).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def module_source(path: Path, extras: bool = False) -> str:
    """The text of the module exported from one notebook: its layers (rnn_course/), or with extras=True its
    exercise checkers and embedded data (course_extras/); '' when it has no such cells."""
    nb = read_nb(path)
    title = next(cell_source(c) for c in nb["cells"] if cell_source(c).startswith("# ")).splitlines()[0][2:].strip()
    layer_cells, extra_cells = definition_parts(nb)
    cells = extra_cells if extras else layer_cells
    if extras and not cells:
        return ""
    body = "\n\n\n".join(cell_source(c).strip("\n") for c in cells)
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
        origin_extras = defined_names(definition_parts(read_nb(path.parent / origin))[1])
        wanted = [n for n in names if n in used]
        in_package = [n for n in wanted if n not in origin_extras]
        in_extras = [n for n in wanted if n in origin_extras]
        if in_extras and not extras:
            raise ValueError(f"{path.name}: the layers use {in_extras}, which {origin} defines among its checkers")
        prefix = "rnn_course." if extras else "."
        if in_package:
            carried.append(f"from {prefix}{module_name(origin)} import {', '.join(in_package)}")
        if in_extras:
            carried.append(f"from .{module_name(origin)} import {', '.join(in_extras)}")
    if extras:
        own = sorted(defined_names(layer_cells) & used, key=str.lower)
        if own:
            carried.append(f"from rnn_course.{module_name(path.name)} import {', '.join(own)}")
    head = (EXTRAS_HEADER if extras else HEADER).format(title=title, notebook=path.name)
    parts = [head, "\n".join(sorted(imports, key=lambda s: (s.startswith("from"), s)))]
    if carried:
        parts.append("\n".join(carried))
    return "\n".join(p for p in parts if p) + ("\n\n\n" + body if body else "") + "\n"


def registered(node) -> bool:
    """A class decorated with @keras.saving.register_keras_serializable(...): a layer a user may import."""
    return any("register_keras_serializable" in ast.unparse(d) for d in node.decorator_list)


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
            for cell in definition_parts(read_nb(path))[0]
            for node in ast.parse(cell_source(cell)).body
            if isinstance(node, ast.ClassDef) and registered(node)
        ]
        classes = list(dict.fromkeys(classes))  # a class grown in its own notebook is defined twice
        if classes:
            lines.append(f"from .{module_name(path.name)} import {', '.join(classes)}")
            exported += [c for c in classes if c not in exported]  # a grown class: the later module's wins
    lines += ["", f"__all__ = {exported!r}"]
    return "\n".join(lines) + "\n"


def exported_files() -> dict:
    """{path: text} of every file of the package and of course_extras/."""
    paths = course_notebooks()
    files = {PACKAGE / f"{module_name(p.name)}.py": module_source(p) for p in paths}
    files[PACKAGE / "__init__.py"] = init_source(paths)
    for p in paths:
        text = module_source(p, extras=True)
        if text:
            files[EXTRAS / f"{module_name(p.name)}.py"] = text
    files[EXTRAS / "__init__.py"] = EXTRAS_INIT
    return files


def strays(files) -> list:
    return [p for folder in (PACKAGE, EXTRAS) for p in folder.glob("*.py") if p not in files]


def out_of_sync() -> list:
    """The exported files that differ from what the notebooks export, and stray .py files."""
    files = exported_files()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    return stale + strays(files)


def cmd_export(args) -> int:
    files = exported_files()
    for folder in (PACKAGE, EXTRAS):
        folder.mkdir(exist_ok=True)
    for stray in strays(files):
        stray.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8", newline="\n")
    in_package = sum(p.parent == PACKAGE for p in files) - 1
    print(f"exported {in_package} module(s) to {PACKAGE.name}/ and {len(files) - in_package - 2} to {EXTRAS.name}/")
    return 0
