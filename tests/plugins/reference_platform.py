"""pytest plugin (loaded from pytest.ini): the kernels nbval starts get the course's kernel environment, and the cells
tagged 'seed-dependent' are compared only on the machine that made a notebook's stored outputs.

`course.py execute` records in each notebook where its outputs were made (coursetools/fingerprint.py: OS, CPU model
and caches, the vector unit oneDNN may use, library versions, backend). Where this machine's fingerprint matches,
every output is compared strictly. Where it does not, the cells tagged 'seed-dependent' (measured by `course.py
marks`: their numbers come out of training, and move with the CPU's rounding as they move with the seeds) are run
but not compared, and listed at the end. Every other cell is compared everywhere, and every assertion runs
everywhere. With pytest-xdist, each notebook stays on one worker (`--dist loadfile`) and the controller lists them.
"""

import os
from functools import lru_cache

from coursetools import fingerprint
from coursetools.environment import kernel_settings
from coursetools.notebooks import read_nb
from coursetools.outputs import SEED_TAG

NOT_COMPARED_KEY = "not compared on this machine"
# Filled on the controller (or the only process) from the reports: (nodeid, fields that differ).
NOT_COMPARED = []
STARTED = {}


def pytest_configure(config):
    """The kernels nbval starts inherit this environment: the same one `course.py test` sets, so that a plain
    `pytest` behaves the same (a value set beforehand, say ONEDNN_MAX_CPU_ISA=SSE41, is kept)."""
    for name, value in kernel_settings().items():
        os.environ.setdefault(name, value)


@lru_cache(maxsize=None)
def differing_fields(path: str) -> tuple:
    """The fields in which this machine differs from the one that made the outputs of the notebook at `path`."""
    from pathlib import Path

    return tuple(fingerprint.differences(fingerprint.recorded(read_nb(Path(path))), here()))


@lru_cache(maxsize=None)
def here() -> dict:
    return fingerprint.fingerprint()


def pytest_collection_modifyitems(session, config, items):
    """Leave uncompared exactly the cells tagged 'seed-dependent' of each notebook whose outputs another machine
    made. The tags come from a measurement (`course.py marks`), which CI repeats."""
    from nbval.plugin import IPyNbCell

    for item in items:
        if isinstance(item, IPyNbCell) and item.options.get("check"):
            if SEED_TAG in item.cell.get("metadata", {}).get("tags", []):
                fields = differing_fields(str(item.fspath))
                if fields:
                    item.options["check"] = False
                    item.user_properties.append((NOT_COMPARED_KEY, ", ".join(fields)))


def pytest_runtest_logstart(nodeid, location):
    """Say which file is running (a notebook takes one to two minutes: the learner sees which)."""
    path = nodeid.split("::", 1)[0]
    if path not in STARTED:
        STARTED[path] = True
        if path.endswith(".ipynb"):
            import sys

            sys.stdout.write(f"\n  running {path} ")
            sys.stdout.flush()


def pytest_runtest_logreport(report):
    if report.when == "call":
        for key, value in report.user_properties:
            if key == NOT_COMPARED_KEY:
                NOT_COMPARED.append((report.nodeid, value))


def pytest_terminal_summary(terminalreporter):
    if not NOT_COMPARED:
        return
    write = terminalreporter.write_line
    fields = sorted({value for _, value in NOT_COMPARED})
    write(
        f"{len(NOT_COMPARED)} outputs were not compared: their notebooks' stored outputs were made on another "
        f"machine (it differs in: {'; '.join(fields)}), and these cells print numbers from training, which move "
        "with the CPU's rounding as they move with the seeds (measured by `course.py marks`). Every assertion in "
        "them ran and held unless reported above; every other output was compared."
    )
    for nodeid, _ in sorted(NOT_COMPARED):
        write("  " + nodeid)
