"""Where the stored outputs were made (coursetools/fingerprint.py) and what the test command compares because of it
(tests/plugins/reference_platform.py): strict on the machine that made a notebook's outputs, the cells tagged
'seed-dependent' left uncompared (and listed) anywhere else, every other output compared everywhere."""

import json
import os
import re
import subprocess
import sys

import pytest

from coursetools import ROOT, fingerprint
from coursetools.execution import store_outputs
from coursetools.notebooks import all_notebooks, code_sources, read_nb
from coursetools.outputs import SEED_TAG

FIELDS = {"system", "cpu", "caches", "vector unit", "libraries", "backend"}


def test_the_fingerprint_has_the_fields_that_decide_the_arithmetic():
    made = fingerprint.fingerprint()
    assert set(made) == FIELDS
    assert all(isinstance(value, str) for value in made.values())
    assert "tensorflow" in made["libraries"] and "keras" in made["libraries"]


@pytest.mark.parametrize(
    "flags, cap, unit",
    [
        ({"avx", "avx2"}, "AVX2", "AVX2"),
        ({"avx", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"}, "AVX2", "AVX2"),  # the kernels cap it
        ({"avx", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"}, "ALL", "AVX512_CORE"),
        ({"avx", "avx2", "sse4_1"}, "SSE41", "SSE41"),  # CI's stand-in for an older CPU
        ({"avx", "sse4_1"}, "AVX2", "AVX"),  # the CPU has less than the cap
        ({"asimd"}, "AVX2", "asimd"),  # ARM: its own unit, not capped
    ],
)
def test_the_vector_unit_is_the_cpus_widest_under_the_cap(flags, cap, unit):
    assert fingerprint.vector_unit(flags, cap) == unit


def test_differences_name_the_fields_that_differ():
    here = fingerprint.fingerprint()
    assert fingerprint.differences(dict(here), here) == []
    other = {**here, "cpu": "GenuineIntel Some Xeon (family 6, model 143, stepping 8)"}
    assert fingerprint.differences(other, here) == ["cpu"]
    assert fingerprint.differences({}, here)  # no record: not the machine that made them


def test_the_override_makes_this_machine_another(monkeypatch):
    here = fingerprint.fingerprint()
    monkeypatch.setenv(fingerprint.OVERRIDE, "another laptop")
    assert fingerprint.differences(here, fingerprint.fingerprint()) == ["cpu"]


def test_execute_records_the_fingerprint_with_the_outputs(tmp_path):
    import nbformat

    path = tmp_path / "tiny.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(nb, path)
    executed = nbformat.read(path, as_version=4)
    executed.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    store_outputs(path, executed, code_sources(read_nb(path)))
    assert fingerprint.recorded(read_nb(path)) == fingerprint.fingerprint()


def test_every_notebook_records_where_its_outputs_were_made():
    missing = [p.name for p in all_notebooks() if set(fingerprint.recorded(read_nb(p))) != FIELDS]
    assert not missing, f"no fingerprint recorded (run `python3 course.py execute` on them): {missing}"


def test_the_readme_says_how_many_outputs_are_left_uncompared_elsewhere():
    tagged = sum(
        SEED_TAG in c.get("metadata", {}).get("tags", [])
        for p in all_notebooks()
        for c in read_nb(p)["cells"]
        if c["cell_type"] == "code"
    )
    said = re.search(r"the (\d+) cells tagged `seed-dependent`", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert said, "README.md no longer says how many outputs a learner's machine leaves uncompared"
    assert int(said.group(1)) == tagged, f"README says {said.group(1)}, the notebooks tag {tagged}"


# End to end: nbval with the course's plugin on a two-cell notebook whose stored outputs are stale.
TINY = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "trained",
            "metadata": {"tags": [SEED_TAG]},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["accuracy 0.75\n"]}],
            "source": ["print('accuracy 0.76')"],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "id": "exact",
            "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["{stored}\n"]}],
            "source": ["print('shape (2, 3)')"],
        },
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def run_plugin(tmp_path, made_on, exact_stored="shape (2, 3)"):
    nb = json.loads(json.dumps(TINY).replace("{stored}", exact_stored))
    if made_on is not None:
        fingerprint.record(nb, made_on)
    (tmp_path / "tiny.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k not in (fingerprint.OVERRIDE, "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests" / "plugins")])
    command = [sys.executable, "-m", "pytest", "-p", "reference_platform", "--nbval", "--nbval-current-env"]
    command += ["-p", "no:cacheprovider", "-p", "no:xdist", "tiny.ipynb"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_on_the_machine_that_made_the_outputs_every_output_is_compared(tmp_path):
    run = run_plugin(tmp_path, fingerprint.fingerprint())
    assert run.returncode == 1, run.stdout[-3000:]
    assert "1 failed, 1 passed" in run.stdout and "not compared" not in run.stdout


def test_elsewhere_the_seed_dependent_cells_are_listed_not_compared(tmp_path):
    other = {**fingerprint.fingerprint(), "cpu": "a CPU this machine does not have"}
    run = run_plugin(tmp_path, other)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "1 outputs were not compared" in run.stdout and "differs in: cpu" in run.stdout
    assert "tiny.ipynb::Cell 0" in run.stdout.split("were not compared", 1)[1]


def test_elsewhere_every_other_output_is_still_compared(tmp_path):
    run = run_plugin(tmp_path, None, exact_stored="shape (3, 2)")
    assert run.returncode == 1, run.stdout[-3000:]
    assert "1 failed, 1 passed" in run.stdout
