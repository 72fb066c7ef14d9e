"""The layer checks that need no tf.GradientTape, on the JAX backend: outputs, states, masks, fit, .keras files.

Run by tests/test_layers_jax.py in a fresh process with KERAS_BACKEND=jax (a process cannot change its backend).
Exits non-zero at the first check that fails; prints one line per group of checks."""

import os
import sys
import tempfile
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"
sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[1] / "support")]

import keras  # noqa: E402
import numpy as np  # noqa: E402

from course_code import notebook_namespace  # noqa: E402
from layer_checks import layer_parts, make_inputs  # noqa: E402

assert keras.backend.backend() == "jax", keras.backend.backend()
TOL = 2e-5


def close(ours, theirs, tol=TOL):
    ours, theirs = keras.tree.flatten(ours), keras.tree.flatten(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=tol, rtol=tol)


def copy_weights(ours, theirs, x):
    theirs(x), ours(x)
    ours.set_weights(theirs.get_weights())


NB = {
    key: notebook_namespace(path)
    for key, path in {
        "01": "notebooks/01_simple_rnn.ipynb",
        "03": "notebooks/03_lstm.ipynb",
        "04": "notebooks/04_peephole_lstm.ipynb",
        "05": "notebooks/05_stacked_lstm.ipynb",
        "06": "notebooks/06_bidirectional_lstm.ipynb",
        "07": "notebooks/07_gru.ipynb",
    }.items()
}
GROWN = {name: getattr(__import__("rnn_course"), name) for name in __import__("rnn_course").__all__}  # 06 and 08 grown
PEEPHOLES = {"peephole_initializer": keras.initializers.RandomNormal(stddev=1.0, seed=1)}
CELLS = [  # (notebook, our cell, built-in twin or None: then keras.layers.RNN runs our cell, kwargs)
    ("01", "SimpleRNNCell", keras.layers.SimpleRNNCell, {}),
    ("01", "JordanRNNCell", None, {"output_dim": 3}),
    ("03", "LSTMCell", keras.layers.LSTMCell, {}),
    ("04", "PeepholeLSTMCell", None, PEEPHOLES),
    ("07", "GRUCell", keras.layers.GRUCell, {}),
    ("07", "GRUCell", keras.layers.GRUCell, {"reset_after": False}),
]
count = 0
SECTIONS = sys.argv[1:] or ["outputs", "wrappers", "fit", "save"]

# Outputs and states, every mask shape, both directions, initial states; our cells inside keras.layers.RNN too.
if "outputs" in SECTIONS:
    for key, name, builtin, kwargs in CELLS:
        ns = NB[key]
        ours, ref = (lambda **k: ns[name](4, **kwargs, **k)), (lambda **k: (builtin or ns[name])(4, **kwargs, **k))
        for kind, go_backwards in [
            (None, False),
            ("right", True),
            ("left", False),
            ("holes", True),
            ("empty_row", False),
        ]:
            x, mask = make_inputs(4, 6, 3, "float32", kind, seed=1)
            options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
            theirs = keras.layers.RNN(ref(), **options)
            mine = ns["Recurrence"](ours(), **options) if kind != "holes" else keras.layers.RNN(ours(), **options)
            copy_weights(mine, theirs, x)
            close(mine(x, mask=mask), theirs(x, mask=mask))
            count += 1
            if kind is None:  # initial states: only where every row reads a real step first, since at padded steps
                # before the first real one Keras outputs zeros on TensorFlow (as Recurrence does) but the initial h
                # on JAX (its loop takes the first state for the previous output)
                states = [np.random.default_rng(2).normal(size=s.shape).astype("float32") for s in theirs(x)[1:]]
                close(mine(x, initial_state=states), theirs(x, initial_state=states))
                count += 1
        # dropout: inactive at inference
        if name in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
            x, mask = make_inputs(3, 5, 3, "float32", "holes")
            grown = lambda **k: GROWN[name](4, **kwargs, **k)  # dropout enters in notebook 06
            mine = GROWN["Recurrence"](grown(dropout=0.5, recurrent_dropout=0.5), return_sequences=True)
            theirs = keras.layers.RNN(ref(), return_sequences=True)
            copy_weights(mine, theirs, x)
            close(mine(x, mask=mask, training=False), theirs(x, mask=mask))
            assert np.abs(np.asarray(mine(x, mask=mask, training=True)) - np.asarray(theirs(x, mask=mask))).max() > 1e-3
            count += 1
    print(f"jax: outputs, states, masks, initial states, dropout at inference: {count} checks", flush=True)

# StackedRNN and BidirectionalRNN against keras.layers.
if "wrappers" in SECTIONS:
    x, mask = make_inputs(3, 6, 3, "float32", "holes", seed=3)
    ns = NB["05"]
    mine = ns["StackedRNN"]([ns["LSTMCell"](4), ns["LSTMCell"](5)], return_sequences=True, return_state=True)
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.LSTMCell(5)]),
        return_sequences=True,
        return_state=True,
    )
    copy_weights(mine, theirs, x)
    close(mine(x, mask=mask), theirs(x, mask=mask))
    ns = NB["06"]
    mine = ns["BidirectionalRNN"](ns["Recurrence"](ns["LSTMCell"](4), return_sequences=True))
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    copy_weights(mine, theirs, x)
    close(mine(x, mask=mask), theirs(x, mask=mask))
    print("jax: StackedRNN and BidirectionalRNN match keras.layers", flush=True)

# fit: the same losses from the same weights; variable lengths (time axis None) as well.
if "fit" in SECTIONS:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 3)).astype("float32")
    x[::3, 5:] = 0.0  # padded tails, masked by the Masking layer
    y = x[:, :, :1].sum(axis=1)
    for key, name, builtin, kwargs in CELLS[::2]:  # SimpleRNNCell, LSTMCell, GRUCell
        losses, models = [], []  # any length: notebook 08's Recurrence
        for layer in (GROWN["Recurrence"](GROWN[name](5, **kwargs)), keras.layers.RNN(builtin(5, **kwargs))):
            model = keras.Sequential([keras.Input((None, 3)), keras.layers.Masking(), layer, keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
            models.append(model)
        models[0].set_weights(models[1].get_weights())
        for model in models:
            losses.append(model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"])
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
        for length in (4, 8):  # two lengths through the same model
            close(models[0].predict(x[:, :length], verbose=0), models[1].predict(x[:, :length], verbose=0), 1e-5)
    print("jax: fit gives the built-ins' losses; unknown lengths run", flush=True)

# .keras files load back to the very classes of each notebook, with the same outputs.
if "save" in SECTIONS:
    x, _ = make_inputs(2, 5, 3, "float32", False)
    with tempfile.TemporaryDirectory() as folder:
        for key, make in [
            ("01", lambda ns: ns["Recurrence"](ns["SimpleRNNCell"](4), return_sequences=True)),
            ("03", lambda ns: keras.layers.RNN(ns["LSTMCell"](4))),
            ("05", lambda ns: ns["StackedRNN"]([ns["LSTMCell"](3), ns["LSTMCell"](2)])),
            ("06", lambda ns: ns["BidirectionalRNN"](ns["Recurrence"](ns["LSTMCell"](3)))),
            ("07", lambda ns: ns["Recurrence"](ns["GRUCell"](4, reset_after=False, dropout=0.2))),
        ]:
            ns = NB[key]
            model = keras.Sequential([keras.Input((5, 3)), make(ns), keras.layers.Dense(2)])
            path = Path(folder) / f"{key}.keras"
            model.save(path)
            loaded = keras.saving.load_model(path)
            np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
            kinds = [[type(part) for layer in m.layers for part in layer_parts(layer)] for m in (model, loaded)]
            assert kinds[0] == kinds[1], (key, kinds)
    print("jax: .keras files load back to each notebook's own classes", flush=True)
print("jax checks passed")
