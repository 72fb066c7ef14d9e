"""pytest plugin (loaded from pytest.ini): the kernels nbval starts compute as on the reference platform, and on any
other machine the cells measured to depend on the seeds (tagged 'seed-dependent') are left uncompared."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import course  # noqa: E402

# Cells whose output was not compared on this machine, listed at the end of the report.
NOT_COMPARED = []


def pytest_configure(config):
    """The kernels nbval starts inherit this environment: the same one `course.py test` sets, so that a plain
    `pytest` behaves the same (a value set beforehand, say ONEDNN_MAX_CPU_ISA=SSE41, is kept)."""
    for name, value in course.kernel_settings().items():
        os.environ.setdefault(name, value)


def pytest_collection_modifyitems(session, config, items):
    """Off the reference platform, leave uncompared exactly the cells tagged 'seed-dependent'. The tags come from
    a measurement (`course.py marks`: the cells whose output changed when the seeds moved), which CI repeats."""
    if course.on_reference_platform():
        return
    from nbval.plugin import IPyNbCell

    for item in items:
        if isinstance(item, IPyNbCell) and item.options.get("check"):
            if course.SEED_TAG in item.cell.get("metadata", {}).get("tags", []):
                item.options["check"] = False
                path = Path(str(item.fspath)).relative_to(ROOT).as_posix()
                NOT_COMPARED.append(f"{path}::Cell {item.cell_num}")


def pytest_terminal_summary(terminalreporter):
    if NOT_COMPARED:
        write = terminalreporter.write_line
        write(f"This machine ({course.platform_signature()}) is not the reference platform of the stored outputs "
              f"({course.settings()['reference_platform']}).")
        write(f"Outputs not compared, since they change when the seeds move, as measured by `course.py marks` "
              f"({len(NOT_COMPARED)} cells; every assertion in them still ran):")
        for line in NOT_COMPARED:
            write("  " + line)
