"""pytest plugin (loaded from pytest.ini): the kernels nbval starts compute as on the reference platform of the stored
outputs, and on any other machine the cells measured to depend on the seeds (tagged 'seed-dependent') are left
uncompared, and listed at the end of the report. Every assertion still runs everywhere."""

import os
import platform

from coursetools import ROOT, settings
from coursetools.environment import REFERENCE_ISA, cpu_flags, kernel_settings
from coursetools.outputs import SEED_TAG

# Cells whose output was not compared on this machine.
NOT_COMPARED = []


def platform_signature() -> str:
    """This machine as the stored outputs care about it: OS, processor, and the vector unit its kernels use (the
    widest the CPU has, AVX-512 counting as AVX2 since the kernels cap oneDNN there, or ONEDNN_MAX_CPU_ISA when it
    names a narrower one). COURSE_PLATFORM in the environment overrides it (to try the suite as on another machine)."""
    if os.environ.get("COURSE_PLATFORM"):
        return os.environ["COURSE_PLATFORM"]
    vector = ""
    words = cpu_flags()
    if words:
        vector = " " + next((flag for flag in ("avx2", "avx", "asimd", "neon") if flag in words), "other")
        cap = os.environ.get("ONEDNN_MAX_CPU_ISA", REFERENCE_ISA).lower()
        if vector == " avx2" and not cap.startswith(("avx2", "avx512", "avx10", "amx", "all")):
            vector = " " + cap  # capped below the reference: computes as an older CPU would
    return f"{platform.system()} {platform.machine()}{vector}"


def on_reference_platform() -> bool:
    """True on the kind of machine the stored outputs were produced on (course.json: reference_platform)."""
    return platform_signature() == settings()["reference_platform"]


def pytest_configure(config):
    """The kernels nbval starts inherit this environment: the same one `course.py test` sets, so that a plain
    `pytest` behaves the same (a value set beforehand, say ONEDNN_MAX_CPU_ISA=SSE41, is kept)."""
    for name, value in kernel_settings().items():
        os.environ.setdefault(name, value)


def pytest_collection_modifyitems(session, config, items):
    """Off the reference platform, leave uncompared exactly the cells tagged 'seed-dependent'. The tags come from
    a measurement (`course.py marks`: the cells whose output changed when the seeds moved), which CI repeats."""
    if on_reference_platform():
        return
    from nbval.plugin import IPyNbCell

    for item in items:
        if isinstance(item, IPyNbCell) and item.options.get("check"):
            if SEED_TAG in item.cell.get("metadata", {}).get("tags", []):
                item.options["check"] = False
                NOT_COMPARED.append(f"{item.fspath.relto(ROOT)}::Cell {item.cell_num}")


def pytest_terminal_summary(terminalreporter):
    if NOT_COMPARED:
        write = terminalreporter.write_line
        write(
            f"This machine ({platform_signature()}) is not the reference platform of the stored outputs "
            f"({settings()['reference_platform']})."
        )
        write(
            f"Outputs not compared, since they change when the seeds move, as measured by `course.py marks` "
            f"({len(NOT_COMPARED)} cells; every assertion in them still ran):"
        )
        for line in NOT_COMPARED:
            write("  " + line)
