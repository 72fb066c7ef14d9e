"""ruff, as configured in ruff.toml: lint over the .py files and the notebooks' code cells, format over the .py files
of the tools, tests and benchmarks (the notebooks keep their hand layout: ruff.toml says why)."""

import subprocess
import sys

import pytest

from coursetools import ROOT


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff_passes(command):
    run = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, (
        f"ruff {' '.join(command)}:\n{run.stdout}{run.stderr}\n(`ruff check --fix .` and "
        f"`ruff format .` fix most of it)"
    )


def test_ruff_lints_the_notebooks_too():
    run = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--show-files", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert "notebooks/03_lstm.ipynb" in run.stdout and "rnn_course/lstm.py" in run.stdout
