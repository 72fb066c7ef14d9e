"""Shared helpers: the tests load the course's code from the notebooks themselves, never from a copy."""
import functools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import course  # noqa: E402  (course.py: the one place that knows the notebook conventions)

CODE_TAGS = {"setup", course.DEFINITION_TAG, course.CARRIED_TAG}


@functools.lru_cache(maxsize=None)
def notebook_namespace(relative_path: str, extra_tags: tuple = ()) -> dict:
    """Execute a notebook's setup, definition and carried-over cells (plus `extra_tags`); return the namespace."""
    path = ROOT / relative_path
    nb = course.read_nb(path)
    namespace = {"__name__": f"notebook_{path.stem}"}
    for index, cell in enumerate(nb["cells"]):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "code" and tags & (CODE_TAGS | set(extra_tags)):
            exec(compile(course.cell_source(cell), f"{relative_path}, cell {index}", "exec"), namespace)
    return namespace
