"""Executing notebooks: storing their outputs, running them with shifted seeds, measuring the seed-dependent tags."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import COURSE, ROOT, fingerprint, runtimes
from .environment import KERNEL_ENV, OTHER_CPU_ISA, in_venv, rerun_in_venv
from .notebooks import all_notebooks, cell_source, code_sources, read_nb, write_nb
from .outputs import SEED_TAG, changed_cells, sanitize_patterns, seed_dependent_cells


def run_notebook(path: Path, timeout=900, before=None):
    """Execute `path` in a fresh kernel, continuing past errors; return (executed notebook, seconds).
    `before` is code run first in the same kernel (not part of the notebook, not stored)."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    if before:
        nb.cells.insert(0, nbformat.v4.new_code_cell(before))
    start = time.perf_counter()
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=before is not None,
        resources={"metadata": {"path": str(path.parent)}},
    )
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
        raise SystemExit(
            f"{path.relative_to(ROOT)}: a code cell changed while it ran; outputs not stored, run it again"
        )
    ran = [c for c in executed.cells if c.cell_type == "code"]
    for cell, fresh in zip([c for c in on_disk.cells if c.cell_type == "code"], ran):
        cell.outputs, cell.execution_count = fresh.outputs, fresh.execution_count
        cell.metadata.pop("execution", None)  # run timestamps: they would change every diff
    on_disk.metadata = executed.metadata
    on_disk.metadata.pop("widgets", None)
    fingerprint.record(on_disk, fingerprint.fingerprint())  # where these outputs were made: the test command reads it
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
        runtimes.record(path, seconds)
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT)}", flush=True)
    for changed in runtimes.write_all():  # the README, the overviews and the lessons quote the record
        print(f"run times written into {changed.relative_to(ROOT)}")
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
            print(
                f"          code cell {number + 1}: output changed, but the cell is not tagged {SEED_TAG!r} "
                f"(run `python3 course.py marks` to measure the tags again)",
                flush=True,
            )
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
    label = args.label or f"seeds +{args.seed_shift}" + (
        f", oneDNN capped at {OTHER_CPU_ISA}" if args.other_cpu else ""
    )
    failures, changed = execute_and_report(paths, before, label, compare=not args.no_compare)
    if args.report:
        Path(args.report).write_text(
            json.dumps({"label": label, "changed": changed}, indent=1) + "\n", encoding="utf-8"
        )
    print(
        f"{label}: "
        + ("every notebook ran to the end, every claim holds" if not failures else f"{failures} failing cell(s)"),
        flush=True,
    )
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
            subprocess.run(
                [sys.executable, str(COURSE), "claims", *options, *(["--other-cpu"] if run["other_cpu"] else [])]
            )
    missing = [str(r) for r in reports if not r.exists()]
    if missing:
        print(f"no report at {', '.join(missing)}: the `claims --report` run that writes it did not finish")
        return 1
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
                state = (
                    "changes with the seeds but is not tagged"
                    if cell.get("id") in ids
                    else "is tagged but did not change"
                )
                print(f"{notebook} code cell {number + 1}: {state} {SEED_TAG!r}")
                cell["metadata"]["tags"] = [t for t in tags if t != SEED_TAG] + ([SEED_TAG] * (cell.get("id") in ids))
                if not cell["metadata"]["tags"]:
                    del cell["metadata"]["tags"]
        if not args.check:
            write_nb(path, nb)
        print(f"{notebook}: {len(ids)} cell(s) {'tagged' if not args.check else 'measured as'} {SEED_TAG!r}")
    if args.check:
        print(
            "the seed-dependent tags match the measurement"
            if not differences
            else f"{differences} cell(s) tagged otherwise than measured: run `python3 course.py marks`"
        )
        return 1 if differences else 0
    return 0
