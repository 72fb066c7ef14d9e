"""course.py, the one entry point learners and CI use, and its tools (coursetools/): venv handling, lab, notebook
writing, seed shifting, the package export."""

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from coursetools import ROOT, cli, colab, environment, execution, notebooks


class Recorder:
    """Stands in for subprocess.run: records each command, answers with the given return code."""

    def __init__(self, returncode=0):
        self.commands, self.returncode = [], returncode

    def __call__(self, command, *args, **kwargs):
        self.commands.append([str(c) for c in command])
        if self.commands[-1][1:3] == ["-m", "venv"]:  # as `python -m venv DIR` would
            os.makedirs(self.commands[-1][3], exist_ok=True)
        return subprocess.CompletedProcess(command, self.returncode, "", "")


@pytest.fixture
def fake_venv(tmp_path, monkeypatch):
    venv = tmp_path / ".venv"
    monkeypatch.setattr(environment, "VENV", venv)
    monkeypatch.setattr(environment, "venv_works", lambda python: venv.exists())
    recorder = Recorder()
    monkeypatch.setattr(environment.subprocess, "run", recorder)

    def make(facts, requirements_hash):
        (venv / "bin").mkdir(parents=True)
        (venv / ".requirements.stamp").write_text(f"{facts}\n{requirements_hash}\n")

    return venv, recorder, make


def test_the_stamp_names_the_python_and_the_platform():
    facts = environment.venv_facts()
    assert platform.python_version() in facts and platform.machine() in facts and sys.platform in facts


def test_a_matching_venv_is_reused(fake_venv):
    venv, recorder, make = fake_venv
    make(environment.venv_facts(), environment.requirements_hash())
    environment.ensure_venv()
    assert recorder.commands == []


def test_a_venv_made_with_another_python_is_rebuilt(fake_venv):
    venv, recorder, make = fake_venv
    make("3.9.0 CPython linux x86_64", environment.requirements_hash())
    (venv / "old-file").write_text("from the old venv")
    environment.ensure_venv()
    assert not (venv / "old-file").exists()
    assert any(c[1:3] == ["-m", "venv"] for c in recorder.commands)
    assert any("-r" in c for c in recorder.commands)
    assert (venv / ".requirements.stamp").read_text().split("\n")[:2] == [
        environment.venv_facts(),
        environment.requirements_hash(),
    ]


def test_a_changed_requirements_txt_is_installed_in_place(fake_venv):
    venv, recorder, make = fake_venv
    make(environment.venv_facts(), "0" * 64)
    (venv / "kept").write_text("the venv stays")
    environment.ensure_venv()
    assert (venv / "kept").exists()
    assert not any(c[1:3] == ["-m", "venv"] for c in recorder.commands)
    assert any("-r" in c for c in recorder.commands)


def test_a_failed_install_says_how_to_retry(fake_venv, capsys):
    venv, recorder, make = fake_venv
    make(environment.venv_facts(), "0" * 64)
    recorder.returncode = 1
    with pytest.raises(SystemExit):
        environment.ensure_venv()
    err = capsys.readouterr().err
    assert "retry with" in err and "-r" in err and ".venv" in err


def test_lab_serves_the_course_map_and_allows_root(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(cli, "ensure_venv", lambda: "python")
    monkeypatch.setattr(cli.subprocess, "run", recorder)
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    cli.main(["lab", "--no-browser"])
    command = recorder.commands[0]
    assert "--allow-root" in command and "--no-browser" in command
    assert f"--notebook-dir={ROOT}" in command
    assert any(arg.endswith("default_url=/lab/tree/lessons/README.md") for arg in command)
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    cli.main(["lab"])
    assert "--allow-root" not in recorder.commands[1]


def test_notebooks_are_written_with_unix_line_ends(tmp_path):
    path = tmp_path / "nb.ipynb"
    notebooks.write_nb(
        path,
        {
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": "a\nb\n"}],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
    )
    assert b"\r\n" not in path.read_bytes() and b"\n" in path.read_bytes()


def test_kernels_run_on_tensorflow_unless_told_otherwise():
    assert environment.KERNEL_ENV["KERAS_BACKEND"] == "tensorflow"


def test_the_seed_shift_moves_every_keras_seed():
    import keras

    original = keras.utils.set_random_seed
    try:
        original(7)
        want = np.random.random(3)
        exec(execution.SEED_SHIFT_CODE.format(kernel_env={}, shift=5), {})
        keras.utils.set_random_seed(2)
        assert np.array_equal(np.random.random(3), want)
    finally:
        keras.utils.set_random_seed = original


def test_the_colab_stack_is_one_settings_line():
    python, packages = colab.colab_stack()
    assert python.count(".") == 1
    assert {p.split("==")[0] for p in packages} >= {"keras", "numpy", "matplotlib"}
    assert any(p.startswith("tensorflow") for p in packages)


def test_failed_cells_names_the_failing_claim():
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 2, 'x is not 2'")]
    )
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="x is not 2", traceback=[])]
    assert execution.failed_cells(nb) == [(2, "AssertionError", "x is not 2", "assert x == 2, 'x is not 2'")]


def test_course_py_is_a_thin_entry_point():
    source = (ROOT / "course.py").read_text(encoding="utf-8")
    code_lines = [line for line in source.split('"""')[2].splitlines() if line.strip() and not line.startswith("#")]
    assert len(code_lines) <= 10 and "from coursetools.cli import main" in source


def test_every_tool_module_imports_with_the_standard_library_only():
    """course.py runs with the system's Python before .venv exists: no tool module imports a package at load time."""
    import ast

    allowed = set(sys.stdlib_module_names) | {"coursetools"}
    for module in (ROOT / "coursetools").glob("*.py"):
        for node in ast.parse(module.read_text(encoding="utf-8")).body:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or "coursetools"]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            assert all(n.split(".")[0] in allowed for n in names), (module.name, names)


def test_the_export_puts_each_notebooks_definitions_in_its_own_module(tmp_path, monkeypatch):
    from coursetools import package

    assert package.module_name("03_lstm.ipynb") == "lstm"
    text = package.module_source(ROOT / "notebooks" / "03_lstm.ipynb")
    assert text.startswith('"""03 ') and "edit the notebook" in text.split("\n")[2]
    assert "from .simple_rnn import" in text and "class LSTMCell(" in text and "class Recurrence(" not in text
    monkeypatch.setattr(package, "PACKAGE", tmp_path / "rnn_course")
    (tmp_path / "rnn_course").mkdir()
    (tmp_path / "rnn_course" / "stray.py").write_text("x = 1")
    assert tmp_path / "rnn_course" / "stray.py" in package.out_of_sync()
    package.cmd_export(None)
    assert package.out_of_sync() == [] and not (tmp_path / "rnn_course" / "stray.py").exists()
