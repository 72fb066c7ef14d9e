"""The virtual environment in .venv, and the environment every notebook kernel runs with."""

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from . import COURSE, REQUIREMENTS, ROOT

VENV = ROOT / ".venv"

# The same environment for every kernel that produces or checks stored outputs. TensorFlow's CPU kernels run
# through oneDNN (even with TF_ENABLE_ONEDNN_OPTS=0), which picks the widest vector unit of the CPU at run time;
# AVX-512 adds up a product in another order than AVX2 and rounds differently. Capping oneDNN at AVX2 makes every
# x86-64 CPU with AVX2 or newer compute as the reference platform did (course.json: reference_platform).
REFERENCE_ISA = "AVX2"
KERNEL_ENV = {
    "KERAS_BACKEND": "tensorflow",
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "ONEDNN_MAX_CPU_ISA": REFERENCE_ISA,
}
# How CI stands in for another CPU (a learner's older laptop): oneDNN capped below the reference.
OTHER_CPU_ISA = "SSE41"


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def venv_facts() -> str:
    """The Python and platform a .venv was made with; a .venv made with others is rebuilt."""
    return " ".join([platform.python_version(), platform.python_implementation(), sys.platform, platform.machine()])


def venv_works(python: Path) -> bool:
    """True if .venv's Python runs and has pip (a venv made without ensurepip has none)."""
    if not python.exists():
        return False
    return subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True).returncode == 0


def install_failed(step: str, command) -> None:
    print(
        f"\n{step} failed (see pip's message above). Check your internet connection and free disk space, then\n"
        f"retry with:\n    {' '.join(command)}\nor start afresh by deleting the {VENV.name}/ folder and running "
        f"this command again.",
        file=sys.stderr,
    )
    sys.exit(1)


def ensure_venv() -> Path:
    """Create .venv and install requirements.txt into it, unless a matching one is already there. The stamp file
    holds the Python and platform .venv was made with, then the hash of the requirements.txt installed into it."""
    python = venv_python()
    stamp = VENV / ".requirements.stamp"
    facts, wanted = venv_facts(), requirements_hash()
    made_with, installed = (stamp.read_text().splitlines() + ["", ""])[:2] if stamp.exists() else ("", "")
    if made_with == facts and installed == wanted and venv_works(python):
        return python
    if VENV.exists() and (made_with != facts or not venv_works(python)):
        print(f"Rebuilding {VENV.name}/: it was made with another Python or platform, or has no pip.", flush=True)
        shutil.rmtree(VENV)
    if not VENV.exists():
        print(f"Creating a virtual environment in {VENV.name}/ with Python {platform.python_version()} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        if not venv_works(python):
            print(
                "This Python cannot make a virtual environment with pip in it. On Debian or Ubuntu install the\n"
                "package python3-venv, then run this command again.",
                file=sys.stderr,
            )
            sys.exit(1)
        steps = [("Upgrading pip", [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])]
    else:
        steps = []
    print("Installing requirements.txt (about 1.9 GB the first time) ...", flush=True)
    steps.append(
        ("Installing requirements.txt", [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)])
    )
    for step, command in steps:
        if subprocess.run(command).returncode != 0:
            install_failed(step, command)
    stamp.write_text(f"{facts}\n{wanted}\n")
    return python


def cpu_flags() -> set:
    """The CPU's feature flags (Linux; empty elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    return set(cpuinfo.read_text(errors="replace").split()) if cpuinfo.exists() else set()


def kernel_settings() -> dict:
    """The environment of every kernel that produces or checks stored outputs (NumPy needs no cap: measured, its
    AVX-512 loops change no stored output)."""
    return dict(KERNEL_ENV)


def kernel_env() -> dict:
    env = dict(os.environ)
    env.update(kernel_settings())
    return env


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def rerun_in_venv(argv) -> int:
    python = ensure_venv()
    return subprocess.run([str(python), str(COURSE), *argv], env=kernel_env()).returncode


def requirements_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
