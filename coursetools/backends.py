"""The course on Keras's other backends: `course.py backend jax` and `course.py backend torch` run every notebook
(and every solutions notebook) with KERAS_BACKEND set, every assertion in force, outputs not compared (the stored
ones are TensorFlow's), then Keras's own RNN tests against the course's cells and the cross-backend saving test on
that backend (`--notebooks-only` leaves the tests out). JAX is in requirements.txt, so its lane runs in .venv; PyTorch is optional and large, so
its lane builds .venv-torch/ from requirements-torch.txt the first time, and the default .venv stays as it was."""

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time

from . import COURSE, ROOT
from .environment import ensure_venv, install_failed, kernel_env, venv_facts, venv_works

BACKENDS = {"jax": None, "torch": "requirements-torch.txt"}  # backend -> extra requirements (None: .venv has it)
LABELS = {"jax": "JAX backend", "torch": "PyTorch backend"}
SUITE = ["tests/layers/test_layers_keras_suite.py", "tests/layers/test_layers_backends.py"]


def backend_venv(backend: str):
    """The Python that runs `backend`'s lane: .venv's for JAX; .venv-torch/'s for PyTorch, built on request."""
    requirements = BACKENDS[backend]
    if requirements is None:
        return ensure_venv()
    folder = ROOT / f".venv-{backend}"
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = folder / ".requirements.stamp"
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    wanted = f"{venv_facts()}\n{digest.hexdigest()}\n"
    if stamp.exists() and stamp.read_text() == wanted and venv_works(python):
        return python
    shutil.rmtree(folder, ignore_errors=True)
    print(f"Creating {folder.name}/ from {requirements} with Python {platform.python_version()} ...", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    command = [str(python), "-m", "pip", "install", "--quiet", "-r", str(ROOT / requirements)]
    if subprocess.run(command, cwd=ROOT).returncode != 0:
        install_failed(f"Installing {requirements}", command)
    stamp.write_text(wanted)
    print(f"{folder.name}/ installed in {time.perf_counter() - start:.0f} s", flush=True)
    return python


def cmd_backend(args) -> int:
    python = backend_venv(args.backend)
    env = kernel_env()
    env["KERAS_BACKEND"] = args.backend  # the kernels inherit it; the notebooks only set it when it is not set
    versions = subprocess.run(
        [
            str(python),
            "-c",
            "import keras, numpy; print('Keras', keras.__version__, 'on', keras.backend.backend(), "
            f"{args.backend!r}, __import__({args.backend!r}).__version__, '| NumPy', numpy.__version__)",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    print(versions.stdout.strip() or versions.stderr.strip()[-500:], flush=True)
    command = [
        str(python),
        str(COURSE),
        "claims",
        "--seed-shift",
        "0",
        "--no-compare",
        "--here",
        "--label",
        LABELS[args.backend],
        *args.notebooks,
    ]
    start = time.perf_counter()
    status = subprocess.run(command, cwd=ROOT, env=env).returncode
    print(f"{LABELS[args.backend]}: {time.perf_counter() - start:.0f} s for the notebooks", flush=True)
    if args.notebooks or args.notebooks_only:
        return status
    start = time.perf_counter()
    tests = [str(python), "-m", "pytest", "-o", "addopts=-p no:cacheprovider", "-q", "-rs", *SUITE]
    status = subprocess.run(tests, cwd=ROOT, env=env).returncode or status
    print(f"{LABELS[args.backend]}: {time.perf_counter() - start:.0f} s for Keras's RNN tests", flush=True)
    return status
