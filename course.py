#!/usr/bin/env python3
"""Set up, open, test and maintain the course. Needs only Python 3.10+.

    python3 course.py lab        # create .venv, install requirements.txt, open JupyterLab in notebooks/
    python3 course.py test       # create .venv, install requirements.txt, run the whole test suite
    python3 course.py setup      # only create .venv and install requirements.txt
    python3 course.py execute    # re-run every notebook from a fresh kernel and store its outputs
    python3 course.py execute notebooks/01_simple_rnn.ipynb   # ... or only the ones named
    python3 course.py badges --repo OWNER/NAME   # point every "Open in Colab" badge at a fork
    python3 course.py carry      # refresh every "carried over" cell from the original definitions
    python3 course.py claims --seed-shift 3   # run every notebook with all seeds moved by 3; report failing claims
    python3 course.py marks      # measure which cells print something else when the seeds move; tag them
    python3 course.py colab      # run every notebook on a stand-in for Colab's current stack (course.json)
    python3 course.py wheels     # record which wheels requirements.txt needs on Linux, macOS and Windows

Extra arguments after `test` go to pytest, e.g. `python3 course.py test -k layers`.
"""
import argparse
import ast
import hashlib
import json
import os
import platform
import shutil
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
CARRIED_HEADER = "#@title Carried over from {origin} (kept identical to the original by the tests): {names}"

# The same environment for every kernel that produces or checks stored outputs. TensorFlow's CPU kernels run
# through oneDNN (even with TF_ENABLE_ONEDNN_OPTS=0), which picks the widest vector unit of the CPU at run time;
# AVX-512 adds up a product in another order than AVX2 and rounds differently. Capping oneDNN at AVX2 (and NumPy,
# below) makes every x86-64 CPU with AVX2 or newer compute exactly as the reference platform did (course.json:
# reference_platform). Measured on an Intel CPU with AVX-512: without the caps notebooks 03 and 06 print other
# numbers than the stored ones; with them every stored output is reproduced.
REFERENCE_ISA = "AVX2"
KERNEL_ENV = {"KERAS_BACKEND": "tensorflow", "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "3",
              "TF_ENABLE_ONEDNN_OPTS": "0", "ONEDNN_MAX_CPU_ISA": REFERENCE_ISA}
# NumPy also picks its loops at run time; on a CPU with AVX-512 its own AVX-512 loops round some results otherwise
# than the AVX2 loops the reference ran (measured: notebook 06's dropout cell). The kernels leave them out there.
NUMPY_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"  # NumPy 2.4's AVX-512 targets (`numpy._core._multiarray_umath.__cpu_dispatch__`)
# How CI stands in for another CPU (a learner's older laptop): oneDNN capped below the reference.
OTHER_CPU_ISA = "SSE41"
# Cells whose output changes when the seeds move (their numbers come out of training or of random draws): measured
# by `course.py marks`, tagged in the notebook, and the only cells left uncompared off the reference platform.
SEED_TAG = "seed-dependent"
SANITIZE = ROOT / "tests" / "sanitize.cfg"


# ----------------------------------------------------------------------------- environment
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
    print(f"\n{step} failed (see pip's message above). Check your internet connection and free disk space, then\n"
          f"retry with:\n    {' '.join(command)}\nor start afresh by deleting the {VENV.name}/ folder and running "
          f"this command again.", file=sys.stderr)
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
            print("This Python cannot make a virtual environment with pip in it. On Debian or Ubuntu install the\n"
                  "package python3-venv, then run this command again.", file=sys.stderr)
            sys.exit(1)
        steps = [("Upgrading pip", [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])]
    else:
        steps = []
    print("Installing requirements.txt (about 1.9 GB the first time) ...", flush=True)
    steps.append(("Installing requirements.txt", [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)]))
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
    """KERNEL_ENV, and on a CPU with AVX-512 NumPy held to its AVX2 loops too."""
    return {**KERNEL_ENV, **({"NPY_DISABLE_CPU_FEATURES": NUMPY_AVX512} if "avx512f" in cpu_flags() else {})}


def kernel_env() -> dict:
    env = dict(os.environ)
    env.update(kernel_settings())
    return env


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def rerun_in_venv(argv) -> int:
    python = ensure_venv()
    return subprocess.run([str(python), __file__, *argv], env=kernel_env()).returncode


# ----------------------------------------------------------------------------- platforms
# Where learners install the course: the environment markers pip evaluates there, and the wheel platform tags
# it accepts there. `course.py wheels` records, for each, the wheel files requirements.txt resolves to.
TARGETS = {
    "Linux x86-64": {"markers": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                                 "os_name": "posix"},
                     "platforms": ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_27_x86_64",
                                   "manylinux_2_28_x86_64"]},
    "macOS arm64": {"markers": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64",
                                "os_name": "posix"},
                    "platforms": ["macosx_11_0_arm64", "macosx_12_0_arm64", "macosx_13_0_arm64", "macosx_14_0_arm64",
                                  "macosx_10_9_universal2"]},
    "Windows x86-64": {"markers": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
                                   "os_name": "nt"},
                       "platforms": ["win_amd64"]},
}
PYTHONS = ["3.11", "3.12", "3.13"]
WHEELS = ROOT / "tests" / "wheels.json"


def requirements_hash() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def cmd_wheels(args) -> int:
    """Record, for every target platform and Python, the wheels pip would install for requirements.txt."""
    if not in_venv():
        return rerun_in_venv(["wheels"])
    import tempfile

    from packaging.markers import Marker  # noqa: F401  (fail early if packaging is missing)

    record = {"requirements_sha256": requirements_hash(), "wheels": {}}
    for target, spec in TARGETS.items():
        for version in PYTHONS:
            with tempfile.TemporaryDirectory() as tmp:
                report = Path(tmp) / "report.json"
                command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                           "--only-binary=:all:", "--python-version", version, "--target", str(Path(tmp) / "t"),
                           "--report", str(report), *[f"--platform={p}" for p in spec["platforms"]],
                           *requirements_for(spec["markers"], version)]
                done = subprocess.run(command)
                files = [] if done.returncode else sorted(
                    item["download_info"]["url"].rsplit("/", 1)[-1]
                    for item in json.loads(report.read_text())["install"])
            record["wheels"][f"{target} / Python {version}"] = files
            print(f"{target} / Python {version}: {len(files)} wheels" + ("" if files else "  (resolution FAILED)"))
    WHEELS.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8", newline="\n")
    return 0


def requirements_for(markers: dict, python_version: str) -> list:
    """The lines of requirements.txt whose environment markers hold on the given platform and Python."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment = {**default_environment(), **markers, "python_version": python_version,
                   "python_full_version": python_version + ".0", "implementation_name": "cpython",
                   "platform_python_implementation": "CPython"}
    chosen = []
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                chosen.append(f"{requirement.name}{requirement.specifier}")
    return chosen


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


def seed_dependent_cells(nb: dict) -> dict:
    """{code cell number (from 0, as nbval counts): cell id} for the cells tagged SEED_TAG: measured to print
    something else when the seeds move, so off the reference platform their output is not compared."""
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return {n: c.get("id") for n, c in enumerate(code) if SEED_TAG in c.get("metadata", {}).get("tags", [])}


# ----------------------------------------------------------------------------- comparing outputs
def sanitize_patterns(path: Path = None) -> list:
    """[(compiled regex, replacement)] from tests/sanitize.cfg, the file nbval reads."""
    import configparser
    import re

    config = configparser.ConfigParser()
    config.read(path or SANITIZE, encoding="utf-8")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


# What nbval leaves out of a comparison: pictures (their bytes differ by Matplotlib version), widgets' ids.
UNCOMPARED_DATA = ("image/png", "image/jpeg", "application/vnd.jupyter.widget-view+json")


def comparable_output(cell: dict, patterns) -> list:
    """A code cell's outputs as nbval compares them: the text of each stream (by name), each kind of data
    (pictures excepted) and each error, sanitized."""
    def clean(text):
        text = "".join(text) if isinstance(text, list) else str(text)
        for regex, replace in patterns:
            text = regex.sub(replace, text)
        return text

    streams, rest = {}, []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            streams[out.get("name")] = streams.get(out.get("name"), "") + clean(out.get("text", ""))
        elif kind == "error":
            rest.append(("error", out.get("ename"), clean(out.get("evalue", ""))))
        else:
            rest += [(key, clean(value)) for key, value in sorted(out.get("data", {}).items())
                     if key not in UNCOMPARED_DATA]
    return sorted(streams.items()) + rest


def changed_cells(stored: dict, fresh: dict, patterns) -> list:
    """(code cell number, cell id) of every code cell whose fresh output differs from the stored one."""
    pairs = zip([c for c in stored["cells"] if c["cell_type"] == "code"],
                [c for c in fresh["cells"] if c["cell_type"] == "code"])
    return [(n, old.get("id")) for n, (old, new) in enumerate(pairs)
            if comparable_output(old, patterns) != comparable_output(new, patterns)]


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
    path.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")


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


def attached_to(node):
    """'X' when `node` is a function decorated with @add_to_class(X) (a method of X written in a later cell)."""
    for decorator in getattr(node, "decorator_list", []):
        if (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "add_to_class"
                and decorator.args and isinstance(decorator.args[0], ast.Name)):
            return decorator.args[0].id
    return None


def top_level_definitions(source: str, found=None) -> dict:
    """Map each top-level function or class name in `source` to its exact text, decorators included.
    A function decorated with @add_to_class(X) is a method of X: its text is appended to X's (X must come first,
    here or in `found`, the definitions of earlier cells), so carrying X over carries its later methods too."""
    lines = source.splitlines()
    found = {} if found is None else found
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            text = "\n".join(lines[start - 1:node.end_lineno])
            owner = attached_to(node)
            if owner is None:
                found[node.name] = text
            elif owner in found:
                found[owner] += "\n\n\n" + text
            else:
                raise KeyError(f"@add_to_class({owner}) comes before class {owner} is defined")
    return found


def notebook_definitions(nb_path: Path) -> dict:
    """Every top-level definition in the cells of `nb_path` tagged 'definition' (methods added later included)."""
    found = {}
    for cell in tagged_cells(read_nb(nb_path), DEFINITION_TAG):
        top_level_definitions(cell_source(cell), found)
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


def code_sources(nb) -> list:
    return [cell_source(c) for c in nb["cells"] if c["cell_type"] == "code"]


def run_notebook(path: Path, timeout=900, before=None):
    """Execute `path` in a fresh kernel, continuing past errors; return (executed notebook, seconds).
    `before` is code run first in the same kernel (not part of the notebook, not stored)."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    if before:
        nb.cells.insert(0, nbformat.v4.new_code_cell(before))
    start = time.perf_counter()
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=before is not None,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    if before:
        nb.cells.pop(0)
    return nb, time.perf_counter() - start


def store_outputs(path: Path, executed, executed_code) -> None:
    """Write the outputs of `executed` into the notebook on disk, keeping any markdown edited meanwhile.
    Refuse if a code cell changed while the notebook ran: its outputs would not belong to it."""
    import nbformat

    on_disk = nbformat.read(path, as_version=4)
    if code_sources(on_disk) != executed_code:
        raise SystemExit(f"{path.relative_to(ROOT)}: a code cell changed while it ran; outputs not stored, run it again")
    ran = [c for c in executed.cells if c.cell_type == "code"]
    for cell, fresh in zip([c for c in on_disk.cells if c.cell_type == "code"], ran):
        cell.outputs, cell.execution_count = fresh.outputs, fresh.execution_count
        cell.metadata.pop("execution", None)  # run timestamps: they would change every diff
    on_disk.metadata = executed.metadata
    on_disk.metadata.pop("widgets", None)
    text = nbformat.writes(on_disk)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="\n")  # \n on every OS


def cmd_execute(args) -> int:
    if not in_venv():
        return rerun_in_venv(["execute", *args.notebooks])
    paths = [Path(p).resolve() for p in args.notebooks] or all_notebooks()
    for path in paths:
        executed_code = code_sources(read_nb(path))
        nb, seconds = run_notebook(path)
        store_outputs(path, nb, executed_code)
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT)}", flush=True)
    return 0


# Run first in every kernel of `claims`: the notebook's own seeds, all moved by the same offset.
SEED_SHIFT_CODE = """
import os
for _name, _value in {kernel_env!r}.items():
    os.environ.setdefault(_name, _value)
import keras as _keras
def _shifted_seed(seed, _set=_keras.utils.set_random_seed):
    return _set(int(seed) + {shift})
_keras.utils.set_random_seed = _shifted_seed
"""


def failed_cells(nb) -> list:
    """(cell number, error name, message, first line of the cell) for every cell that raised."""
    found = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((line for line in cell_source(cell).splitlines() if line.strip()), "")
                found.append((number, out.get("ename", ""), out.get("evalue", "").strip(), first.strip()))
    return found


def execute_and_report(paths, before, label, compare=False) -> tuple:
    """Run each notebook without storing anything; print each failing cell and, with `compare`, each cell whose
    output differs from the stored one. Returns (number of failures, {notebook: [ids of changed cells]}); a changed
    cell not tagged SEED_TAG counts as a failure (off the reference platform its output would be compared)."""
    failures, changed, patterns = 0, {}, sanitize_patterns() if compare else []
    for path in paths:
        nb, seconds = run_notebook(path, before=before)
        failed = failed_cells(nb)
        stored = read_nb(path)
        moved = changed_cells(stored, nb, patterns) if compare else []
        marked = seed_dependent_cells(stored)
        unmarked = [(n, cell_id) for n, cell_id in moved if n not in marked]
        failures += len(failed) + len(unmarked)
        changed[path.relative_to(ROOT).as_posix()] = [cell_id for _, cell_id in moved]
        verdict = "ok" if not failed else f"{len(failed)} failing cell(s)"
        if compare:
            verdict += f"; {len(moved)} output(s) changed, {len(unmarked)} of them in cells not tagged {SEED_TAG!r}"
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT)}  [{label}] {verdict}", flush=True)
        for number, ename, evalue, first in failed:
            print(f"          code cell {number} ({first[:60]}): {ename}: {evalue[:300]}", flush=True)
        for number, _ in unmarked:
            print(f"          code cell {number + 1}: output changed, but the cell is not tagged {SEED_TAG!r} "
                  f"(run `python3 course.py marks` to measure the tags again)", flush=True)
    return failures, changed


def cmd_claims(args) -> int:
    """Execute notebooks with every keras.utils.set_random_seed(s) moved to s + shift; report failing claims and,
    unless --no-compare, the outputs that moved (with --other-cpu, oneDNN computes as an older CPU would)."""
    if not in_venv() and not args.here:
        return rerun_in_venv(["claims", *claims_options(args), *args.notebooks])
    if args.other_cpu:
        os.environ["ONEDNN_MAX_CPU_ISA"] = OTHER_CPU_ISA  # inherited by every kernel started from here
    paths = [Path(p).resolve() for p in args.notebooks] or all_notebooks()
    before = SEED_SHIFT_CODE.format(kernel_env=KERNEL_ENV, shift=args.seed_shift)
    label = args.label or f"seeds +{args.seed_shift}" + (f", oneDNN capped at {OTHER_CPU_ISA}" if args.other_cpu else "")
    failures, changed = execute_and_report(paths, before, label, compare=not args.no_compare)
    if args.report:
        Path(args.report).write_text(json.dumps({"label": label, "changed": changed}, indent=1) + "\n", encoding="utf-8")
    print(f"{label}: " + ("every notebook ran to the end, every claim holds" if not failures
                         else f"{failures} failing cell(s)"), flush=True)
    return 1 if failures else 0


def claims_options(args) -> list:
    options = ["--seed-shift", str(args.seed_shift)]
    options += ["--other-cpu"] * args.other_cpu + ["--no-compare"] * args.no_compare
    return options + (["--report", str(Path(args.report).resolve())] if args.report else [])


# The runs whose changed outputs make the measured set of seed-dependent cells: CI runs the same two.
MARK_RUNS = [{"seed_shift": 1, "other_cpu": False}, {"seed_shift": 2, "other_cpu": True}]


def cmd_marks(args) -> int:
    """Tag SEED_TAG exactly the code cells whose output changed in the runs of MARK_RUNS (read from --from
    reports, or run here). With --check, change nothing and fail if the tags differ from that measurement."""
    import tempfile

    reports = [Path(r) for r in args.reports]
    if not reports:
        tmp = Path(tempfile.mkdtemp())
        for k, run in enumerate(MARK_RUNS):
            reports.append(tmp / f"run{k}.json")
            options = ["--seed-shift", str(run["seed_shift"]), "--report", str(reports[-1]), *args.notebooks]
            subprocess.run([sys.executable, __file__, "claims", *options, *(["--other-cpu"] if run["other_cpu"] else [])])
    changed = {}
    for report in reports:
        for notebook, ids in json.loads(report.read_text(encoding="utf-8"))["changed"].items():
            changed.setdefault(notebook, set()).update(ids)
    differences = 0
    for notebook, ids in sorted(changed.items()):
        path = ROOT / notebook
        nb = read_nb(path)
        for number, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
            tags = cell.setdefault("metadata", {}).get("tags", [])
            if (SEED_TAG in tags) != (cell.get("id") in ids):
                differences += 1
                state = "changes with the seeds but is not tagged" if cell.get("id") in ids else "is tagged but did not change"
                print(f"{notebook} code cell {number + 1}: {state} {SEED_TAG!r}")
                cell["metadata"]["tags"] = [t for t in tags if t != SEED_TAG] + ([SEED_TAG] * (cell.get("id") in ids))
                if not cell["metadata"]["tags"]:
                    del cell["metadata"]["tags"]
        if not args.check:
            write_nb(path, nb)
        print(f"{notebook}: {len(ids)} cell(s) {'tagged' if not args.check else 'measured as'} {SEED_TAG!r}")
    if args.check:
        print("the seed-dependent tags match the measurement" if not differences else
              f"{differences} cell(s) tagged otherwise than measured: run `python3 course.py marks`")
        return 1 if differences else 0
    return 0


# ----------------------------------------------------------------------------- Colab's stack
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

    candidates = [shutil.which(f"python{version}"), *sorted(glob.glob(os.path.expanduser(
        f"~/.pyenv/versions/{version}*/bin/python{version}"))), f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}"]
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60)
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
    tools = [line.split(";")[0].strip() for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
             if line.split("==")[0].strip() in NOTEBOOK_TOOLS]
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
    versions = subprocess.run([str(venv_py), "-c", "import platform, tensorflow as tf, keras, numpy, matplotlib; "
                               "print('Python', platform.python_version(), '| TensorFlow', tf.__version__, '| Keras', "
                               "keras.__version__, '| NumPy', numpy.__version__, '| Matplotlib', matplotlib.__version__)"],
                              capture_output=True, text=True, env=kernel_env())
    print("Colab stand-in:", versions.stdout.strip(), flush=True)
    command = [str(venv_py), __file__, "claims", "--seed-shift", "0", "--no-compare", "--here", "--label", "Colab stack",
               *args.notebooks]
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode




def cmd_test(args) -> int:
    python = ensure_venv()
    command = [str(python), "-m", "pytest", *args.pytest_args]
    print("$", " ".join(command[1:]), flush=True)
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode


def cmd_setup(args) -> int:
    ensure_venv()
    print(f"{VENV.name}/ is ready: {venv_facts()}")
    return 0


def cmd_lab(args) -> int:
    python = ensure_venv()
    # Open at the repository root, where notebooks/, lessons/ and the README sit side by side, on the course map.
    command = [str(python), "-m", "jupyter", "lab", f"--notebook-dir={ROOT}",
               "--LabApp.default_url=/lab/tree/lessons/README.md", *args.lab_args]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a container or cloud VM: Jupyter refuses root without this
        command.append("--allow-root")
    return subprocess.run(command, cwd=ROOT, env=kernel_env()).returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lab", help="set up and open the course in JupyterLab (extra arguments go to jupyter lab)"
                   ).set_defaults(func=cmd_lab)
    sub.add_parser("setup", help="only create .venv and install requirements.txt").set_defaults(func=cmd_setup)
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
    claims = sub.add_parser("claims", help="execute notebooks with every seed shifted; report each failing claim")
    claims.add_argument("--seed-shift", type=int, required=True, help="added to every keras.utils.set_random_seed")
    claims.add_argument("--other-cpu", action="store_true",
                        help=f"cap oneDNN at {OTHER_CPU_ISA}: compute as a CPU older than the reference would")
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
    sub.add_parser("wheels", help="record the wheels requirements.txt resolves to on each platform (needs network)"
                   ).set_defaults(func=cmd_wheels)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("test", "lab"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = args.lab_args = extra
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
