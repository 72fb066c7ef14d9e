"""The package on every Keras backend: `import rnn_course` loads no TensorFlow (on JAX it needs only Keras, NumPy and
JAX), and a model holding the course's layers, saved on one backend, loads on another and predicts the same.

Each side runs in its own Python process, because Keras picks its backend once, when it is first imported. A
backend that is not installed in this environment is skipped (the default .venv has TensorFlow and JAX; PyTorch is
in the environment `python3 course.py backend torch` builds)."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from course_code import ROOT

BACKENDS = ["tensorflow", "jax", "torch"]
INSTALLED = [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def run_on(backend, code, *args):
    """Run code in a fresh Python on `backend`; return what it printed last (a JSON line)."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


IMPORT = """
import json, sys
import rnn_course
from rnn_course.simple_rnn import gradients
print(json.dumps({"tensorflow": "tensorflow" in sys.modules, "layers": sorted(rnn_course.__all__)}))
"""

SAVE = """
import json, sys
import keras, numpy as np
import rnn_course
keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
model = keras.Sequential([
    keras.Input((6, 4)),
    rnn_course.BidirectionalRNN(rnn_course.Recurrence(rnn_course.LSTMCell(5), return_sequences=True)),
    keras.layers.RNN(rnn_course.GRUCell(3), return_sequences=True),
    rnn_course.Recurrence(rnn_course.SimpleRNNCell(2)),
])
model.save(sys.argv[1])
np.save(sys.argv[1] + ".x.npy", x)
np.save(sys.argv[1] + ".y.npy", model.predict(x, verbose=0))
print(json.dumps({"layers": [type(layer).__name__ for layer in model.layers]}))
"""

LOAD = """
import json, sys
import keras, numpy as np
import rnn_course
model = keras.saving.load_model(sys.argv[1])
y = model.predict(np.load(sys.argv[1] + ".x.npy"), verbose=0)
print(json.dumps({"layers": [type(layer).__name__ for layer in model.layers],
                  "max_diff": float(np.max(np.abs(y - np.load(sys.argv[1] + ".y.npy"))))}))
"""


@pytest.mark.parametrize("backend", [b for b in INSTALLED if b != "tensorflow"])
def test_the_package_imports_without_tensorflow(backend):
    """Nothing in rnn_course imports TensorFlow at import time; `gradients` imports the backend's own autodiff
    only when it is called. (In an environment without TensorFlow, the import alone would fail otherwise.)"""
    result = run_on(backend, IMPORT)
    assert result["tensorflow"] is False
    assert "LSTMCell" in result["layers"] and "KerasDropoutMasks" not in result["layers"]


PAIRS = [(a, b) for a in INSTALLED for b in INSTALLED if a != b]


@pytest.mark.parametrize("saver, loader", PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_model_saved_on_one_backend_loads_on_another(saver, loader, tmp_path):
    path = str(tmp_path / "model.keras")
    saved = run_on(saver, SAVE, path)
    loaded = run_on(loader, LOAD, path)
    assert loaded["layers"] == saved["layers"] == ["BidirectionalRNN", "RNN", "Recurrence"]
    # float32 on two backends: the same weights, products summed in another order, so a few ulps apart
    assert loaded["max_diff"] < 1e-5, loaded
    assert not np.isnan(loaded["max_diff"])
