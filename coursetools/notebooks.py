"""Notebooks on disk: reading and writing them, their tags, their definitions, and the carried-over cells."""

import ast
import json
from pathlib import Path

from . import NOTEBOOKS, ROOT

BADGE_TAG = "badges"
DEFINITION_TAG = "definition"
CARRIED_TAG = "carried-over"
CARRIED_HEADER = "#@title Carried over from {origin} (kept identical to the original by the tests): {names}"


def all_notebooks():
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def read_nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_nb(path: Path, nb: dict) -> None:
    # Same layout as nbformat writes, so re-saving from JupyterLab gives a small diff.
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tagged_cells(nb: dict, tag: str):
    return [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]


def attached_to(node):
    """'X' when `node` is a function decorated with @add_to_class(X) (a method of X written in a later cell)."""
    for decorator in getattr(node, "decorator_list", []):
        if (
            isinstance(decorator, ast.Call)
            and getattr(decorator.func, "id", None) == "add_to_class"
            and decorator.args
            and isinstance(decorator.args[0], ast.Name)
        ):
            return decorator.args[0].id
    return None


def grows(node) -> bool:
    """True for `class X(..., X)`: a class that grows an earlier class of the same name (a new feature, such as
    dropout in notebook 06, added by a subclass that keeps the name)."""
    return isinstance(node, ast.ClassDef) and any(getattr(base, "id", None) == node.name for base in node.bases)


def top_level_definitions(source: str, found=None) -> dict:
    """Map each top-level function or class name in `source` to its exact text, decorators included.
    A function decorated with @add_to_class(X) is a method of X: its text is appended to X's (X must come first,
    here or in `found`, the definitions of earlier cells), so carrying X over carries its later methods too.
    A class `X(..., X)` that grows an X defined earlier in the same notebook is appended to X's text in the same way;
    one that grows an X carried in from an earlier notebook stands alone (carry the original first)."""
    lines = source.splitlines()
    found = {} if found is None else found
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            text = "\n".join(lines[start - 1 : node.end_lineno])
            owner = attached_to(node)
            if owner is None and grows(node) and node.name in found:
                found[node.name] += "\n\n\n" + text  # the class grown in the same notebook: carried together
            elif owner is None:
                found[node.name] = text
            elif owner in found:
                found[owner] += "\n\n\n" + text
            else:
                raise KeyError(f"@add_to_class({owner}) comes before class {owner} is defined")
    return found


def notebook_definitions(nb_path: Path) -> dict:
    """Every top-level definition in the cells of `nb_path` tagged 'definition' (methods added later included)."""
    found = {}
    for cell in tagged_cells(read_nb(nb_path), DEFINITION_TAG):
        top_level_definitions(cell_source(cell), found)
    return found


def carried_names(cell: dict):
    """('01_simple_rnn.ipynb', ['SimpleRNNCell', ...]): where a carried-over cell's definitions come from and which,
    as recorded in its metadata ("carried": {"from": ..., "names": [...]}); the visible title is written from it."""
    carried = cell.get("metadata", {}).get("carried")
    if not carried:
        raise KeyError(f"a cell tagged {CARRIED_TAG!r} has no 'carried' metadata: {cell_source(cell)[:80]!r}")
    return carried["from"], list(carried["names"])


def carried_source(origin: str, names) -> str:
    """The exact text a carried-over cell must hold: the header, then each named original definition."""
    definitions = notebook_definitions(NOTEBOOKS / origin)
    missing = [n for n in names if n not in definitions]
    if missing:
        raise KeyError(f"{origin} defines no {', '.join(missing)} in a cell tagged '{DEFINITION_TAG}'")
    header = CARRIED_HEADER.format(origin=origin, names=", ".join(names))
    return "\n\n\n".join([header + "\n" + definitions[names[0]], *(definitions[n] for n in names[1:])])


def cmd_carry(args) -> int:
    for path in all_notebooks():
        nb = read_nb(path)
        cells = tagged_cells(nb, CARRIED_TAG)
        for cell in cells:
            origin, names = carried_names(cell)
            cell["source"] = carried_source(origin, names)
        if cells:
            write_nb(path, nb)
            print(f"carried over into {path.relative_to(ROOT)}: {len(cells)} cell(s)")
    return 0


def code_sources(nb) -> list:
    return [cell_source(c) for c in nb["cells"] if c["cell_type"] == "code"]
