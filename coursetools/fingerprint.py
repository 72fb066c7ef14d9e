"""Where stored outputs were made: a fingerprint of the machine, as far as it decides the arithmetic.

`course.py execute` records it in each notebook's metadata (`course` → `outputs made on`); the test command
compares the cells tagged 'seed-dependent' only where the machine running it has the same fingerprint. Its fields,
and why each is there (CONTRIBUTING.md, "Where the stored outputs were made", has the measurements):

    system       OS and machine type: another OS or an ARM CPU runs other builds of every kernel.
    cpu          vendor and model: the same capped vector unit on an Intel and an AMD CPU gave other numbers
                 in notebook 09 (TensorFlow's MatMul runs oneDNN's sgemm, which picks its kernels per CPU).
    caches       the CPU's cache sizes, which oneDNN's sgemm reads to choose its blocking (a CPU model name is
                 not always unique inside a virtual machine: "AMD EPYC").
    vector unit  the widest instruction set oneDNN may use (the CPU's, capped by ONEDNN_MAX_CPU_ISA): measured,
                 SSE4.1, AVX and AVX2 each give other numbers from the same seeds.
    libraries    TensorFlow, Keras and NumPy, whose kernels and defaults change between versions.
    backend      the Keras backend the kernels ran on.

The number of CPU threads is not a field: training notebook 09's model, and an LSTM on dense inputs as in 01-08,
gave bit-identical weights with 1, 2 and 4 intra-op threads. Standard library only, like the rest of coursetools.
"""

import os
import platform
import subprocess
from pathlib import Path

# oneDNN's names for its instruction-set levels, narrowest first (ONEDNN_MAX_CPU_ISA takes these).
ISA_ORDER = ["SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI", "AVX512_CORE_BF16"]
# Set to any text to try the test command as on a machine that did not make the outputs.
OVERRIDE = "COURSE_FINGERPRINT"
METADATA_KEY = "outputs made on"


def _cpuinfo_first_block() -> dict:
    path = Path("/proc/cpuinfo")
    if not path.exists():
        return {}
    block = path.read_text(errors="replace").split("\n\n", 1)[0]
    fields = {}
    for line in block.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def cpu_flags() -> set:
    """The CPU's feature flags (Linux; empty elsewhere)."""
    info = _cpuinfo_first_block()
    return set((info.get("flags") or info.get("Features") or "").split())


def cpu_model() -> str:
    info = _cpuinfo_first_block()
    if "vendor_id" in info:  # x86-64 Linux
        return (
            f"{info.get('vendor_id')} {info.get('model name', '?')} "
            f"(family {info.get('cpu family', '?')}, model {info.get('model', '?')}, stepping {info.get('stepping', '?')})"
        )
    if "CPU implementer" in info:  # ARM Linux
        return f"ARM implementer {info['CPU implementer']} part {info.get('CPU part', '?')}"
    if platform.system() == "Darwin":
        try:
            done = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True)
            return done.stdout.strip() or platform.processor()
        except OSError:
            return platform.processor()
    return platform.processor() or "unknown"


def cache_sizes() -> str:
    """'L1d 32K, L1i 32K, L2 1024K, L3 32768K' from Linux's sysfs; empty elsewhere."""
    found = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        suffix = {"Data": "d", "Instruction": "i"}.get(kind, "")
        found.append(f"L{level}{suffix} {size}")
    return ", ".join(found)


def widest_isa(flags: set) -> str:
    """The widest oneDNN level this CPU has, from its flags; an ARM or unknown CPU by its own name."""
    if not flags:
        return platform.machine().lower() or "unknown"
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "AVX512_CORE"
    for flag, level in (("avx2", "AVX2"), ("avx", "AVX"), ("sse4_1", "SSE41")):
        if flag in flags:
            return level
    return next((flag for flag in ("asimd", "neon") if flag in flags), "other")


def vector_unit(flags: set = None, cap: str = None) -> str:
    """The widest instruction set oneDNN uses here: the CPU's, capped by ONEDNN_MAX_CPU_ISA (as every kernel of the
    course is: coursetools/environment.py)."""
    widest = widest_isa(cpu_flags() if flags is None else flags)
    cap = (cap if cap is not None else os.environ.get("ONEDNN_MAX_CPU_ISA", "ALL")).upper()
    if widest not in ISA_ORDER or cap not in ISA_ORDER:
        return widest  # ARM, or no cap (ALL): the CPU decides
    return ISA_ORDER[min(ISA_ORDER.index(widest), ISA_ORDER.index(cap))]


def library_versions() -> str:
    from importlib import metadata

    found = []
    for names in (("tensorflow", "tensorflow-cpu"), ("keras",), ("numpy",)):
        for name in names:
            try:
                found.append(f"{names[0]} {metadata.version(name)}")
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            found.append(f"{names[0]} absent")
    return ", ".join(found)


def fingerprint() -> dict:
    """This machine as the stored outputs care about it (see the module's docstring)."""
    made = {
        "system": f"{platform.system()} {platform.machine()}",
        "cpu": cpu_model(),
        "caches": cache_sizes(),
        "vector unit": vector_unit(),
        "libraries": library_versions(),
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
    }
    if os.environ.get(OVERRIDE):
        made["cpu"] += f" [{OVERRIDE}={os.environ[OVERRIDE]}]"
    return made


def recorded(nb: dict) -> dict:
    """The fingerprint `course.py execute` stored in a notebook ({} if none was)."""
    return nb.get("metadata", {}).get("course", {}).get(METADATA_KEY, {})


def record(nb: dict, made: dict) -> None:
    nb.setdefault("metadata", {}).setdefault("course", {})[METADATA_KEY] = made


def differences(stored: dict, here: dict) -> list:
    """The fields in which this machine differs from the one that made the outputs (all of them if none recorded)."""
    if not stored:
        return ["(no fingerprint recorded)"]
    return [field for field in sorted(set(stored) | set(here)) if stored.get(field) != here.get(field)]
