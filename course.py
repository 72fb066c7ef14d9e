#!/usr/bin/env python3
"""Set up, open, test and maintain the course. Needs only Python 3.10+.

    python3 course.py lab        # create .venv, install requirements.txt, open JupyterLab in notebooks/
    python3 course.py test       # create .venv, install requirements.txt, run the whole test suite
    python3 course.py execute    # re-run every notebook from a fresh kernel and store its outputs
    python3 course.py execute notebooks/01_simple_rnn.ipynb   # ... or only the ones named
    python3 course.py badges --repo OWNER/NAME   # point every "Open in Colab" badge at a fork
    python3 course.py carry      # refresh every "carried over" cell from the original definitions

Extra arguments after `test` go to pytest, e.g. `python3 course.py test -k layers`.
"""
import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
SETTINGS = ROOT / "course.json"
NOTEBOOKS = ROOT / "notebooks"
BADGE_TAG = "badges"
DEFINITION_TAG = "definition"
CARRIED_TAG = "carried-over"
CARRIED_HEADER = "# Carried over from {origin} (kept identical to the original by the tests): {names}"

# The same environment for every kernel that produces or checks stored outputs.
KERNEL_ENV = {"PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


# ----------------------------------------------------------------------------- environment
def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def ensure_venv() -> Path:
    """Create .venv and install requirements.txt into it, unless that was already done."""
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV.name}/ ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = VENV / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        print("Installing requirements.txt (a few minutes the first time) ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(wanted + "\n")
    return python


def kernel_env() -> dict:
    env = dict(os.environ)
    env.update(KERNEL_ENV)
    return env


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def rerun_in_venv(argv) -> int:
    python = ensure_venv()
    return subprocess.run([str(python), __file__, *argv], env=kernel_env()).returncode


# ----------------------------------------------------------------------------- notebooks
def all_notebooks():
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def read_nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_nb(path: Path, nb: dict) -> None:
    # Same layout as nbformat writes, so re-saving from JupyterLab gives a small diff.
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def settings() -> dict:
    return json.loads(SETTINGS.read_text(encoding="utf-8"))


def badge_markdown(nb_path: Path, repository: str, branch: str) -> str:
    """The badge row for one notebook, pointing at its own path in `repository`."""
    rel = nb_path.resolve().relative_to(ROOT).as_posix()
    colab = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{rel}"
    source = f"https://github.com/{repository}/blob/{branch}/{rel}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})\n"
        f"[![View source on GitHub](https://img.shields.io/badge/view%20source-GitHub-black?logo=github)]({source})"
    )


def badge_cell_index(nb: dict) -> int:
    for i, cell in enumerate(nb["cells"][:3]):
        if BADGE_TAG in cell.get("metadata", {}).get("tags", []):
            return i
    raise ValueError("no markdown cell tagged 'badges' among the first three cells")


def cmd_badges(args) -> int:
    conf = settings()
    if args.repo or args.branch:
        conf["repository"] = args.repo or conf["repository"]
        conf["branch"] = args.branch or conf["branch"]
        SETTINGS.write_text(json.dumps(conf, indent=2) + "\n", encoding="utf-8")
    for path in all_notebooks():
        nb = read_nb(path)
        cell = nb["cells"][badge_cell_index(nb)]
        cell["source"] = badge_markdown(path, conf["repository"], conf["branch"])
        write_nb(path, nb)
        print(f"badges -> {conf['repository']}@{conf['branch']}: {path.relative_to(ROOT)}")
    return 0


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tagged_cells(nb: dict, tag: str):
    return [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]


def top_level_definitions(source: str) -> dict:
    """Map each top-level function or class name in `source` to its exact text, decorators included."""
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            found[node.name] = "\n".join(lines[start - 1:node.end_lineno])
    return found


def notebook_definitions(nb_path: Path) -> dict:
    """Every top-level definition in the cells of `nb_path` tagged 'definition'."""
    found = {}
    for cell in tagged_cells(read_nb(nb_path), DEFINITION_TAG):
        found.update(top_level_definitions(cell_source(cell)))
    return found


def parse_carried_header(source: str):
    """('01_simple_rnn.ipynb', ['SimpleRNNCell', ...]) from the first line of a carried-over cell."""
    first = source.splitlines()[0]
    prefix, _, names = first.partition("): ")
    origin = prefix.split("Carried over from ")[1].split(" (")[0]
    return origin, [n.strip() for n in names.split(",") if n.strip()]


def carried_source(origin: str, names) -> str:
    """The exact text a carried-over cell must hold: the header, then each named original definition."""
    definitions = notebook_definitions(NOTEBOOKS / origin)
    missing = [n for n in names if n not in definitions]
    if missing:
        raise KeyError(f"{origin} defines no {', '.join(missing)} in a cell tagged '{DEFINITION_TAG}'")
    header = CARRIED_HEADER.format(origin=origin, names=", ".join(names))
    return "\n\n\n".join([header + "\n" + definitions[names[0]], *(definitions[n] for n in names[1:])])


def cmd_carry(args) -> int:
    for path in all_notebooks():
        nb = read_nb(path)
        cells = tagged_cells(nb, CARRIED_TAG)
        for cell in cells:
            origin, names = parse_carried_header(cell_source(cell))
            cell["source"] = carried_source(origin, names)
        if cells:
            write_nb(path, nb)
            print(f"carried over into {path.relative_to(ROOT)}: {len(cells)} cell(s)")
    return 0


def cmd_execute(args) -> int:
    if not in_venv():
        return rerun_in_venv(["execute", *args.notebooks])
    import nbclient
    import nbformat

    paths = [Path(p).resolve() for p in args.notebooks] or all_notebooks()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                         resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        seconds = time.perf_counter() - start
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT)}", flush=True)
    return 0


def cmd_test(args) -> int:
    python = ensure_venv()
    command = [str(python), "-m", "pytest", *args.pytest_args]
    print("$", " ".join(command[1:]), flush=True)
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode


def cmd_lab(args) -> int:
    python = ensure_venv()
    command = [str(python), "-m", "jupyter", "lab", f"--notebook-dir={NOTEBOOKS}"]
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lab", help="set up and open the course in JupyterLab").set_defaults(func=cmd_lab)
    sub.add_parser("test", help="set up and run the whole test suite (extra arguments go to pytest)"
                   ).set_defaults(func=cmd_test)
    execute = sub.add_parser("execute", help="re-execute notebooks and store their outputs")
    execute.add_argument("notebooks", nargs="*")
    execute.set_defaults(func=cmd_execute)
    badges = sub.add_parser("badges", help="regenerate the badge row of every notebook")
    badges.add_argument("--repo", help="GitHub owner/name the badges point at (saved in course.json)")
    badges.add_argument("--branch", help="branch the badges point at (saved in course.json)")
    badges.set_defaults(func=cmd_badges)
    sub.add_parser("carry", help="refresh carried-over cells from their originals").set_defaults(func=cmd_carry)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
