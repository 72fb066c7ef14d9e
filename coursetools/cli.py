"""The command line of course.py."""

import argparse
import os
import subprocess

from . import ROOT
from .backends import BACKENDS, backend_venv, cmd_backend
from .badges import cmd_badges
from .colab import cmd_colab
from .environment import OTHER_CPU_ISA, VENV, ensure_venv, kernel_env, venv_facts
from .execution import cmd_claims, cmd_execute, cmd_marks
from .notebooks import cmd_carry
from .outputs import SEED_TAG
from .package import cmd_export
from .platforms import cmd_wheels
from .runtimes import cmd_times
from .site import cmd_site


def test_workers(pytest_args) -> list:
    """pytest-xdist options: one worker per core, at most 2 (a notebook's kernel takes a core of its own), each
    notebook kept whole on one worker. None when the caller chose (-n, -p no:xdist) or there is one core."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in pytest_args):
        return []
    workers = min(2, os.cpu_count() or 1)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def cmd_test(args) -> int:
    python = ensure_venv()
    command = [str(python), "-m", "pytest", *test_workers(args.pytest_args), *args.pytest_args]
    print("$", " ".join(command[1:]), flush=True)
    print(
        "The whole suite re-runs all 18 notebooks and checks every layer and exercise (the README gives its time on\n"
        "the course's 2-core machine). Each notebook's name is printed as it starts; dots are tests passed.",
        flush=True,
    )
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode


def cmd_setup(args) -> int:
    ensure_venv()
    print(f"{VENV.name}/ is ready: {venv_facts()}")
    return 0


def cmd_lab(args) -> int:
    # --backend jax or torch: the kernels run Keras on it (PyTorch's environment, .venv-torch/, is built on request)
    python = backend_venv(args.backend) if args.backend != "tensorflow" else ensure_venv()
    env = kernel_env()
    env["KERAS_BACKEND"] = args.backend
    # Open at the repository root, where notebooks/, lessons/ and the README sit side by side, on the course map.
    command = [
        str(python),
        "-m",
        "jupyter",
        "lab",
        f"--notebook-dir={ROOT}",
        "--LabApp.default_url=/lab/tree/lessons/README.md",
        *args.lab_args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a container or cloud VM: Jupyter refuses root without this
        command.append("--allow-root")
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def main(argv=None, description=None) -> int:
    parser = argparse.ArgumentParser(
        description=description or __doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="set up and open the course in JupyterLab (extra arguments go to jupyter lab)")
    lab.add_argument(
        "--backend",
        choices=["tensorflow", *sorted(BACKENDS)],
        default="tensorflow",
        help="Keras's backend (default: tensorflow)",
    )
    lab.set_defaults(func=cmd_lab)
    sub.add_parser("setup", help="only create .venv and install requirements.txt").set_defaults(func=cmd_setup)
    sub.add_parser("test", help="set up and run the whole test suite (extra arguments go to pytest)").set_defaults(
        func=cmd_test
    )
    execute = sub.add_parser("execute", help="re-execute notebooks and store their outputs")
    execute.add_argument("notebooks", nargs="*")
    execute.set_defaults(func=cmd_execute)
    badges = sub.add_parser("badges", help="regenerate the badge row of every notebook")
    badges.add_argument("--repo", help="GitHub owner/name the badges point at (saved in course.json)")
    badges.add_argument("--branch", help="branch the badges point at (saved in course.json)")
    badges.set_defaults(func=cmd_badges)
    sub.add_parser("carry", help="refresh carried-over cells from their originals").set_defaults(func=cmd_carry)
    sub.add_parser(
        "times",
        help="write the measured run times (notebooks/run_times.json) into the README, the "
        "notebooks' overviews and the lessons",
    ).set_defaults(func=cmd_times)
    sub.add_parser("export", help="write the rnn_course package from the notebooks' definition cells").set_defaults(
        func=cmd_export
    )
    claims = sub.add_parser("claims", help="execute notebooks with every seed shifted; report each failing claim")
    claims.add_argument("--seed-shift", type=int, required=True, help="added to every keras.utils.set_random_seed")
    claims.add_argument(
        "--other-cpu",
        action="store_true",
        help=f"cap oneDNN at {OTHER_CPU_ISA}: compute as a CPU older than the reference would",
    )
    claims.add_argument("--no-compare", action="store_true", help="do not compare outputs with the stored ones")
    claims.add_argument("--report", help="write the ids of the cells whose output changed to this JSON file")
    claims.add_argument("--here", action="store_true", help=argparse.SUPPRESS)  # run with this Python, not .venv's
    claims.add_argument("--label", help=argparse.SUPPRESS)
    claims.add_argument("notebooks", nargs="*")
    claims.set_defaults(func=cmd_claims)
    marks = sub.add_parser("marks", help=f"tag {SEED_TAG!r} the cells whose output changes with the seeds (measured)")
    marks.add_argument("--from", dest="reports", nargs="+", default=[], help="reports of `claims --report` to use")
    marks.add_argument("--check", action="store_true", help="change nothing; fail if the tags differ")
    marks.add_argument("notebooks", nargs="*")
    marks.set_defaults(func=cmd_marks)
    colab = sub.add_parser("colab", help="run every notebook on a stand-in for Colab's current stack (not compared)")
    colab.add_argument("notebooks", nargs="*")
    colab.set_defaults(func=cmd_colab)
    backend = sub.add_parser(
        "backend", help="run every notebook on Keras's JAX or PyTorch backend, assertions only (not compared)"
    )
    backend.add_argument("backend", choices=sorted(BACKENDS))
    backend.add_argument("--notebooks-only", action="store_true", help="leave out Keras's RNN tests on that backend")
    backend.add_argument("notebooks", nargs="*")
    backend.set_defaults(func=cmd_backend)
    sub.add_parser(
        "wheels", help="record the wheels requirements.txt resolves to on each platform (needs network)"
    ).set_defaults(func=cmd_wheels)
    site = sub.add_parser("site", help="build the course as a website into _site/ (tools in .venv-site/)")
    site.add_argument("--check", action="store_true", help="then open every page in headless Chromium and check it")
    site.add_argument("--rebuild", action="store_true", help="build every page afresh")
    site.set_defaults(func=cmd_site)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("test", "lab"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = args.lab_args = extra
    return args.func(args)
