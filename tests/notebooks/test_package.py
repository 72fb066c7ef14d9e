"""The rnn_course package is what the notebooks define (nbdev's check): `course.py export` writes it from the cells
tagged 'definition', and these tests fail when the two are out of sync. The other tests import the package, so
this is what ties them to the notebooks."""

import tempfile
from pathlib import Path

import keras
import numpy as np

import rnn_course
import rnn_course.lstm
import rnn_course.simple_rnn
from course_code import ROOT
from coursetools import package


def test_the_package_is_in_sync_with_the_notebooks():
    stale = [p.relative_to(ROOT).as_posix() for p in package.out_of_sync()]
    assert not stale, f"out of sync with the notebooks: {stale}; run `python3 course.py export`"


def test_every_module_says_it_is_generated():
    for path in package.PACKAGE.glob("*.py"):
        assert "Generated from" in path.read_text(encoding="utf-8").split('"""')[1], path.name


def test_a_model_saved_with_the_notebooks_classes_loads_with_the_packages():
    """A learner saves a model in a notebook (its own copy of the classes); it loads back with the package's classes,
    and a model saved with the package's loads in the notebook, both registered as rnn_course>NAME."""
    from coursetools.notebooks import cell_source, read_nb

    registry = keras.saving.get_custom_objects()  # running the notebook's cells registers its classes: undone below
    package_classes = {name: registry[name] for name in ("rnn_course>LSTMCell", "rnn_course>Recurrence")}
    notebook = {"__name__": "notebook_03"}  # the classes as notebook 03 runs them: setup, carried-over, definitions
    nb = read_nb(ROOT / "notebooks" / "03_lstm.ipynb")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and {"setup", "carried-over", "definition"} & set(
            cell["metadata"].get("tags", [])
        ):
            exec(cell_source(cell), notebook)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    try:
        with tempfile.TemporaryDirectory() as folder:
            package_03 = {"LSTMCell": rnn_course.lstm.LSTMCell, "Recurrence": rnn_course.simple_rnn.Recurrence}
            for saver, loader in [(notebook, package_03), (package_03, notebook)]:
                registry.update({f"rnn_course>{n}": saver[n] for n in ("LSTMCell", "Recurrence")})
                model = keras.Sequential([keras.Input((5, 3)), saver["Recurrence"](saver["LSTMCell"](4))])
                path = Path(folder) / "model.keras"
                model.save(path)
                registry.update({f"rnn_course>{n}": loader[n] for n in ("LSTMCell", "Recurrence")})
                loaded = keras.saving.load_model(path)
                assert (
                    type(loaded.layers[0]) is loader["Recurrence"] and type(loaded.layers[0].cell) is loader["LSTMCell"]
                )
                np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    finally:
        registry.update(package_classes)
