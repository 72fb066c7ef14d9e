"""The course's code, as the tests load it: the rnn_course package and course_extras (the exercise checkers and
embedded data), exported from the notebooks' definition cells (tests/notebooks/test_package.py fails when they are
out of sync with them), on top of the notebook's setup cell.

A solutions notebook has no definitions of its own: what it carries over comes from the package, and its cells
tagged with `extra_tags` (for example "solution") run on top. Each class is defined and registered with Keras once,
so a saved model loads back into the very classes the tests compare."""

import functools
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coursetools.notebooks import (  # noqa: E402
    CARRIED_TAG,
    carried_names,
    cell_source,
    read_nb,
    tagged_cells,
)
from coursetools.package import SETUP_TAG, module_name  # noqa: E402


def package_module(notebook: str):
    """rnn_course.lstm for '03_lstm.ipynb' (or a path to it)."""
    return importlib.import_module(f"rnn_course.{module_name(Path(notebook).name)}")


def definitions(notebook: str) -> dict:
    """Every name a notebook's definition cells define: its rnn_course module, then its course_extras module."""
    names = dict(vars(package_module(notebook)))
    if (ROOT / "course_extras" / f"{module_name(Path(notebook).name)}.py").exists():
        names.update(vars(importlib.import_module(f"course_extras.{module_name(Path(notebook).name)}")))
    return names


@functools.lru_cache(maxsize=None)
def notebook_namespace(relative_path: str, extra_tags: tuple = ()) -> dict:
    """The names a notebook's definitions see: its setup cell run, the names its carried-over cells hold, then its own
    module of rnn_course (a main notebook), then its cells tagged `extra_tags`."""
    path = ROOT / relative_path
    nb = read_nb(path)
    namespace = {"__name__": f"notebook_{path.stem}"}
    run = lambda cell, label: exec(compile(cell_source(cell), f"{relative_path}, {label}", "exec"), namespace)
    for cell in tagged_cells(nb, SETUP_TAG):
        run(cell, "setup cell")
    for cell in tagged_cells(nb, CARRIED_TAG):
        origin, names = carried_names(cell)
        namespace.update({name: definitions(origin)[name] for name in names})
    if path.parent.name == "notebooks":  # its own module last: a class it grows (LSTMCell in 06) replaces the original
        namespace.update({k: v for k, v in definitions(path.name).items() if not k.startswith("__")})
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and set(cell.get("metadata", {}).get("tags", [])) & set(extra_tags):
            run(cell, f"cell {index}")
    return namespace
