"""coursetools/outputs.py and the seed-dependent tags of coursetools/execution.py: outputs compared as nbval compares
them, and `course.py marks`, which tags exactly the cells measured to change."""

import argparse
import json

from coursetools import execution, notebooks, outputs


def code(text, tags=(), cell_id=None, name="stdout"):
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {"tags": list(tags)} if tags else {},
        "outputs": [{"output_type": "stream", "name": name, "text": text}],
    }


def test_outputs_are_compared_as_nbval_compares_them():
    patterns = outputs.sanitize_patterns()
    picture = {"output_type": "display_data", "data": {"image/png": "AAAA", "text/plain": "<Figure>"}}
    other_picture = {"output_type": "display_data", "data": {"image/png": "BBBB", "text/plain": "<Figure>"}}
    stored = {
        "cells": [
            code("loss 0.512\n", cell_id="a"),
            code("max |Δ| = 1.0e-07\n", cell_id="b"),
            {**code("", cell_id="c"), "outputs": [picture]},
            code("accuracy 0.97\n", cell_id="d"),
            {"cell_type": "markdown", "source": "text"},
        ]
    }
    fresh = {
        "cells": [
            code("loss 0.512\n", cell_id="a"),
            code("max |Δ| = 3.0e-08\n", cell_id="b"),
            {**code("", cell_id="c"), "outputs": [other_picture]},
            code("accuracy 0.96\n", cell_id="d"),
            {"cell_type": "markdown", "source": "text"},
        ]
    }
    assert outputs.changed_cells(stored, fresh, patterns) == [(3, "d")]  # round-off sanitized, pictures left out
    stderr = {"cells": [code("loss 0.512\n", cell_id="a", name="stderr")]}
    assert outputs.changed_cells({"cells": stored["cells"][:1]}, stderr, patterns) == [(0, "a")]


def test_marks_tag_exactly_the_measured_cells_and_check_fails_on_a_difference(monkeypatch, tmp_path):
    monkeypatch.setattr(execution, "ROOT", tmp_path)
    notebook = tmp_path / "nb.ipynb"
    nb = {
        "cells": [
            code("a", tags=[outputs.SEED_TAG], cell_id="x"),
            code("b", cell_id="y"),
            code("c", tags=["definition"], cell_id="z"),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    notebooks.write_nb(notebook, nb)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"label": "seeds +1", "changed": {"nb.ipynb": ["y", "z"]}}))
    args = argparse.Namespace(reports=[str(report)], check=True, notebooks=[])
    assert execution.cmd_marks(args) == 1  # x is tagged but did not change; y and z changed
    assert notebooks.read_nb(notebook) == json.loads(notebook.read_text())  # --check changes nothing
    args.check = False
    assert execution.cmd_marks(args) == 0
    tags = [c["metadata"].get("tags", []) for c in notebooks.read_nb(notebook)["cells"]]
    assert tags == [[], [outputs.SEED_TAG], ["definition", outputs.SEED_TAG]]
    args.check = True
    assert execution.cmd_marks(args) == 0


def test_off_the_reference_only_tagged_cells_go_uncompared():
    nb = {
        "cells": [
            code("a", cell_id="p"),
            {"cell_type": "markdown", "source": ""},
            code("b", tags=[outputs.SEED_TAG], cell_id="q"),
        ]
    }
    assert outputs.seed_dependent_cells(nb) == {1: "q"}
