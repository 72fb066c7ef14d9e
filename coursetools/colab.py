"""A stand-in for Colab's current runtime (course.json: colab_stack), to run every notebook there."""

import os
import platform
import shutil
import subprocess
import sys

from . import COURSE, REQUIREMENTS, ROOT, settings
from .environment import install_failed, kernel_env, venv_works

COLAB_VENV = ROOT / ".venv-colab"
NOTEBOOK_TOOLS = ("nbclient", "nbformat", "ipykernel")  # pinned in requirements.txt, installed beside Colab's stack


def colab_stack():
    """(Python version, [package==version, ...]) from course.json's one-line "colab_stack" entry."""
    words = settings()["colab_stack"].split()
    python = next(w.split("==")[1] for w in words if w.startswith("python=="))
    return python, [w for w in words if not w.startswith("python==")]


def find_python(version: str):
    """A Python interpreter of `version` (e.g. "3.13") on this machine, or None."""
    import glob

    candidates = [
        shutil.which(f"python{version}"),
        *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python{version}"))),
        f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}",
    ]
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == version:
            return candidate
    return None


def cmd_colab(args) -> int:
    """Build a stand-in for Colab's current runtime in .venv-colab and run every notebook there (not compared)."""
    version, packages = colab_stack()
    python = find_python(version)
    if python is None:
        python = sys.executable
        print(f"Python {version} is not on this machine; using Python {platform.python_version()} instead.")
    tools = [
        line.split(";")[0].strip()
        for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if line.split("==")[0].strip() in NOTEBOOK_TOOLS
    ]
    wanted = " ".join([python, *packages, *tools, platform.machine()])
    venv_py = COLAB_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = COLAB_VENV / ".stack.stamp"
    if not (stamp.exists() and stamp.read_text().strip() == wanted and venv_works(venv_py)):
        shutil.rmtree(COLAB_VENV, ignore_errors=True)
        print(f"Creating {COLAB_VENV.name}/: {' '.join(packages)} on {python}", flush=True)
        subprocess.run([python, "-m", "venv", str(COLAB_VENV)], check=True)
        command = [str(venv_py), "-m", "pip", "install", "--quiet", *packages, *tools]
        if subprocess.run(command).returncode != 0:
            install_failed("Installing Colab's stack", command)
        stamp.write_text(wanted + "\n")
    versions = subprocess.run(
        [
            str(venv_py),
            "-c",
            "import platform, tensorflow as tf, keras, numpy, matplotlib; "
            "print('Python', platform.python_version(), '| TensorFlow', tf.__version__, '| Keras', "
            "keras.__version__, '| NumPy', numpy.__version__, '| Matplotlib', matplotlib.__version__)",
        ],
        capture_output=True,
        text=True,
        env=kernel_env(),
    )
    print("Colab stand-in:", versions.stdout.strip(), flush=True)
    command = [
        str(venv_py),
        str(COURSE),
        "claims",
        "--seed-shift",
        "0",
        "--no-compare",
        "--here",
        "--label",
        "Colab stack",
        *args.notebooks,
    ]
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode
