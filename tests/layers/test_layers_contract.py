"""The layer contract, for every cell of every notebook, each loaded from its own notebook: masks of every shape,
gradients with respect to the initial state, StackedRNNCells, variable-length batches from tf.data, stateful
layers over consecutive batches, dropout, docstrings that list what the class does not take.
Built-in twins define the behaviour; a cell without one (JordanRNNCell, PeepholeLSTMCell with non-zero
peepholes) is compared between Recurrence and keras.layers.RNN."""

import contextlib
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_code import notebook_namespace
from layer_checks import (
    MASK_KINDS,
    TOL,
    assert_close,
    build_and_copy,
    make_inputs,
    run_with_gradients,
    state_sizes,
)

NOTEBOOKS = {
    "01": "notebooks/01_simple_rnn.ipynb",
    "03": "notebooks/03_lstm.ipynb",
    "04": "notebooks/04_peephole_lstm.ipynb",
    "05": "notebooks/05_stacked_lstm.ipynb",
    "06": "notebooks/06_bidirectional_lstm.ipynb",
    "07": "notebooks/07_gru.ipynb",
}
RANDOM_PEEPHOLES = {"peephole_initializer": keras.initializers.RandomNormal(stddev=1.0, seed=1)}

# id: (notebook, our cell, the built-in cell with the same weights or None, keyword arguments for both)
CELLS = {
    "SimpleRNNCell": ("01", "SimpleRNNCell", keras.layers.SimpleRNNCell, {}),
    "JordanRNNCell": ("01", "JordanRNNCell", None, {"output_dim": 3}),
    "LSTMCell": ("03", "LSTMCell", keras.layers.LSTMCell, {}),
    "PeepholeLSTMCell": ("04", "PeepholeLSTMCell", None, RANDOM_PEEPHOLES),
    "GRUCell": ("07", "GRUCell", keras.layers.GRUCell, {}),
    "GRUCell(reset_after=False)": ("07", "GRUCell", keras.layers.GRUCell, {"reset_after": False}),
}
DROPOUT_CELLS = ["SimpleRNNCell", "LSTMCell", "GRUCell", "GRUCell(reset_after=False)"]


def namespace(key):
    return notebook_namespace(NOTEBOOKS[key])


def grown():
    """The classes as the course leaves them: dropout added in notebook 06 (and born with GRUCell in 07), and
    Recurrence's symbolic loop, stateful and unroll added in notebook 08. rnn_course exports the last of each."""
    import rnn_course

    return {name: getattr(rnn_course, name) for name in rnn_course.__all__}


@pytest.fixture
def cell_case(request):
    """(namespace, make our cell, make the reference cell) for one CELLS entry, inside that notebook's own classes."""
    key, name, builtin, kwargs = CELLS[request.param]
    ns = namespace(key)
    ours = lambda units, **more: ns[name](units, **kwargs, **more)
    reference = (lambda units, **more: builtin(units, **kwargs, **more)) if builtin else ours
    yield ns, ours, reference


@pytest.fixture
def grown_case(request):
    """(classes as the course leaves them, make our cell, make the reference cell) for one CELLS entry."""
    _, name, builtin, kwargs = CELLS[request.param]
    ns = grown()
    ours = lambda units, **more: ns[name](units, **kwargs, **more)
    reference = (lambda units, **more: builtin(units, **kwargs, **more)) if builtin else ours
    yield ns, ours, reference


def initial_states(cell, batch, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(batch, n)).astype("float32") for n in state_sizes(cell)]


# ----------------------------------------------------------------------------- masks and initial states
@pytest.mark.parametrize("cell_case", list(CELLS), indirect=True)
@pytest.mark.parametrize("kind", MASK_KINDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masks_of_every_shape_match_keras_rnn(cell_case, kind, go_backwards):
    ns, ours, reference = cell_case
    x, mask = make_inputs(4, 7, 3, "float32", kind, seed=2)
    options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    mine, theirs = ns["Recurrence"](ours(5), **options), keras.layers.RNN(reference(5), **options)
    build_and_copy(mine, theirs, x)
    (o1, g1), (o2, g2) = run_with_gradients(mine, x, mask=mask), run_with_gradients(theirs, x, mask=mask)
    assert_close(o1, o2, TOL["float32"])
    assert_close(g1, g2, TOL["float32"])


@pytest.mark.parametrize("cell_case", list(CELLS), indirect=True)
@pytest.mark.parametrize("kind", [None, "empty_row"])
def test_gradients_with_respect_to_the_initial_state_match_keras_rnn(cell_case, kind):
    ns, ours, reference = cell_case
    x, mask = make_inputs(3, 6, 3, "float32", kind, seed=3)
    mine, theirs = ns["Recurrence"](ours(4), return_state=True), keras.layers.RNN(reference(4), return_state=True)
    build_and_copy(mine, theirs, x)
    states = initial_states(mine.cell, 3)
    (o1, g1), (o2, g2) = (run_with_gradients(layer, x, mask=mask, initial_state=states) for layer in (mine, theirs))
    assert_close(o1, o2, TOL["float32"])
    assert_close(g1, g2, TOL["float32"])
    assert all(np.abs(g).max() > 0 for g in g1[-len(states) :])  # the loss does depend on every initial state


@pytest.mark.parametrize("cell_case", list(CELLS), indirect=True)
def test_inside_stacked_rnn_cells_equals_one_layer_per_cell(cell_case):
    """Every cell, those without a built-in twin too: keras.layers.StackedRNNCells of two of them, under a mask with
    holes, gives what one keras.layers.RNN per cell gives. (Each notebook's module also compares its cells' stack with
    the built-in cells' stack: layer_checks.assert_cells_in_stacked_rnn_cells_match.)"""
    ns, ours, _ = cell_case
    x, mask = make_inputs(3, 6, 3, "float32", "holes", seed=4)
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells([ours(4), ours(5)]), return_sequences=True, return_state=True
    )
    lower = keras.layers.RNN(ours(4), return_sequences=True, return_state=True)
    upper = keras.layers.RNN(ours(5), return_sequences=True, return_state=True)
    stacked(x)
    y1, *states1 = lower(x)
    upper(y1)
    lower.set_weights(stacked.get_weights()[: len(lower.get_weights())])
    upper.set_weights(stacked.get_weights()[len(lower.get_weights()) :])
    out, *nested = stacked(x, mask=mask)
    y1, *states1 = lower(x, mask=mask)
    y2, *states2 = upper(y1, mask=mask)
    assert_close(
        [np.asarray(t) for t in tf.nest.flatten([out, nested])],
        [np.asarray(t) for t in tf.nest.flatten([y2, states1, states2])],
        TOL["float32"],
    )


# ----------------------------------------------------------------------------- variable lengths
def padded_batches(features, batch=8, seed=0):
    """A tf.data pipeline of sequences of different lengths, padded per batch with zeros (padded_batch)."""
    rng = np.random.default_rng(seed)
    sequences = [rng.normal(size=(n, features)).astype("float32") for n in rng.integers(2, 12, size=32)]
    targets = [np.float32(s[:, 0].sum()) for s in sequences]
    data = tf.data.Dataset.from_generator(
        lambda: zip(sequences, targets),
        output_signature=(tf.TensorSpec((None, features), tf.float32), tf.TensorSpec((), tf.float32)),
    )
    return data.apply(tf.data.experimental.assert_cardinality(len(sequences))).padded_batch(batch)


@pytest.mark.parametrize("grown_case", list(CELLS), indirect=True)
def test_a_padded_batch_of_variable_length_sequences_trains_like_keras_rnn(grown_case):
    ns, ours, reference = grown_case
    models = []
    for layer in (ns["Recurrence"](ours(5)), keras.layers.RNN(reference(5))):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((None, 3)), keras.layers.Masking(), layer, keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        models.append(model)
    models[0].set_weights(models[1].get_weights())
    losses = [model.fit(padded_batches(3), epochs=2, shuffle=False, verbose=0).history["loss"] for model in models]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    assert np.all(np.isfinite(losses[0]))
    x = next(iter(padded_batches(3)))[0]
    assert x.shape[1] is not None and tf.reduce_any(x == 0.0)  # a real padded batch
    np.testing.assert_allclose(models[0].predict(x, verbose=0), models[1].predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize("grown_case", ["LSTMCell"], indirect=True)
def test_unroll_needs_a_known_length_and_says_so(grown_case):
    ns, ours, _ = grown_case
    unrolled = keras.Sequential([keras.Input((None, 3)), ns["Recurrence"](ours(4), unroll=True)])
    with pytest.raises(ValueError, match=r"Python loop needs a known number of steps"):
        unrolled.predict(padded_batches(3), verbose=0)  # batches of different lengths: the time axis is None
    x, mask = make_inputs(3, 6, 3, "float32", "holes")
    loop = ns["Recurrence"](ours(4), return_sequences=True)
    written_out = ns["Recurrence"](ours(4), return_sequences=True, unroll=True)
    build_and_copy(loop, written_out, x)
    assert_close(run_with_gradients(loop, x, mask=mask)[0], run_with_gradients(written_out, x, mask=mask)[0], 1e-6)


# ----------------------------------------------------------------------------- stateful
def chunks(x, n):
    step = x.shape[1] // n
    return [x[:, k * step : (k + 1) * step] for k in range(n)]


@pytest.mark.parametrize("grown_case", list(CELLS), indirect=True)
def test_stateful_recurrence_equals_keras_rnn_over_consecutive_batches(grown_case):
    ns, ours, reference = grown_case
    x, _ = make_inputs(2, 9, 3, "float32", False, seed=5)
    mine = ns["Recurrence"](ours(4), stateful=True, return_sequences=True, return_state=True)
    theirs = keras.layers.RNN(reference(4), stateful=True, return_sequences=True, return_state=True)
    whole = ns["Recurrence"](ours(4), return_sequences=True)
    models = [keras.Sequential([keras.Input(batch_shape=(2, 3, 3)), layer]) for layer in (mine, theirs)]
    whole(x)
    mine.set_weights(theirs.get_weights())
    whole.set_weights(theirs.get_weights())
    assert len(mine.get_weights()) == len(theirs.get_weights())  # the kept states are not weights
    for _ in range(2):  # twice: reset_state starts again from zeros
        got = [[np.asarray(t) for t in model(part)] for part in chunks(x, 3) for model in models]
        for a, b in zip(got[0::2], got[1::2]):
            assert_close(a, b, TOL["float32"])
        np.testing.assert_allclose(np.concatenate([g[0] for g in got[0::2]], axis=1), whole(x), atol=TOL["float32"])
        mine.reset_state()
        theirs.reset_state()
    assert all(np.all(np.asarray(s) == 0) for s in mine.states)


def test_stateful_needs_a_fixed_batch_size():
    ns = grown()
    with pytest.raises(ValueError, match=r"stateful=True\) needs a fixed batch size.*batch_shape"):
        keras.Sequential([keras.Input((5, 3)), ns["Recurrence"](ns["SimpleRNNCell"](4), stateful=True)])


def test_stateful_recurrence_of_stacked_rnn_cells_equals_keras_stacked_rnn_cells():
    """A stack that keeps its states: notebook 08's Recurrence around keras.layers.StackedRNNCells of our cells."""
    ns = grown()
    x, _ = make_inputs(2, 8, 3, "float32", False, seed=6)
    cells = keras.layers.StackedRNNCells([ns["LSTMCell"](4), ns["LSTMCell"](3)])
    mine = ns["Recurrence"](cells, stateful=True, return_sequences=True)
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.LSTMCell(3)]),
        stateful=True,
        return_sequences=True,
    )
    models = [keras.Sequential([keras.Input(batch_shape=(2, 4, 3)), layer]) for layer in (mine, theirs)]
    mine.set_weights(theirs.get_weights())
    for _ in range(2):
        for part in chunks(x, 2):
            np.testing.assert_allclose(models[0](part), models[1](part), atol=TOL["float32"])
        mine.reset_state()
        for state in tf.nest.flatten(theirs.states):  # Keras's reset_state() fails on the nested states
            state.assign(np.zeros(state.shape, state.dtype))


def test_stateful_bidirectional_rnn_equals_keras_bidirectional():
    ns = grown()
    x, _ = make_inputs(2, 8, 3, "float32", False, seed=7)
    mine = ns["BidirectionalRNN"](ns["Recurrence"](ns["LSTMCell"](4), stateful=True, return_sequences=True))
    theirs = keras.layers.Bidirectional(keras.layers.LSTM(4, stateful=True, return_sequences=True))
    models = [keras.Sequential([keras.Input(batch_shape=(2, 4, 3)), layer]) for layer in (mine, theirs)]
    mine.set_weights(theirs.get_weights())
    assert mine.stateful and theirs.stateful
    for _ in range(2):
        for part in chunks(x, 2):
            np.testing.assert_allclose(models[0](part), models[1](part), atol=TOL["float32"])
        mine.reset_state()
        theirs.reset_state()


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("grown_case", DROPOUT_CELLS, indirect=True)
@pytest.mark.parametrize("loop", ["Recurrence", "keras.layers.RNN"])
def test_dropout_is_inactive_at_inference(grown_case, loop):
    ns, ours, reference = grown_case
    x, mask = make_inputs(3, 6, 3, "float32", "holes")
    wrap = ns["Recurrence"] if loop == "Recurrence" else keras.layers.RNN
    mine = wrap(ours(4, dropout=0.4, recurrent_dropout=0.3), return_sequences=True)
    theirs = keras.layers.RNN(reference(4), return_sequences=True)  # no dropout at all
    build_and_copy(mine, theirs, x)
    np.testing.assert_allclose(mine(x, mask=mask, training=False), theirs(x, mask=mask), atol=TOL["float32"])
    assert np.abs(np.asarray(mine(x, mask=mask, training=True)) - np.asarray(theirs(x, mask=mask))).max() > 1e-3


@pytest.mark.parametrize("grown_case", DROPOUT_CELLS, indirect=True)
@pytest.mark.parametrize("loop", ["Recurrence", "keras.layers.RNN"])
def test_dropout_in_training_equals_keras_with_the_same_seed(grown_case, loop):
    """Input dropout only: Keras's own cells then draw one mask per sequence, as ours do, from the same seed."""
    ns, ours, reference = grown_case
    x, mask = make_inputs(3, 6, 3, "float32", "right")
    wrap = ns["Recurrence"] if loop == "Recurrence" else keras.layers.RNN
    mine = wrap(ours(4, dropout=0.4, seed=3), return_sequences=True, return_state=True)
    theirs = keras.layers.RNN(reference(4, dropout=0.4, seed=3), return_sequences=True, return_state=True)
    build_and_copy(mine, theirs, x)
    for _ in range(2):  # a new mask per call, the same in both
        assert_close(
            [np.asarray(t) for t in mine(x, mask=mask, training=True)],
            [np.asarray(t) for t in theirs(x, mask=mask, training=True)],
            TOL["float32"],
        )


@pytest.mark.parametrize("grown_case", DROPOUT_CELLS, indirect=True)
@pytest.mark.parametrize("loop", ["Recurrence", "keras.layers.RNN"])
def test_dropout_masks_are_drawn_once_per_sequence_at_their_rate(grown_case, loop):
    ns, ours, _ = grown_case
    rate, recurrent_rate, batch, time, features = 0.3, 0.5, 400, 5, 6
    cell = ours(8, dropout=rate, recurrent_dropout=recurrent_rate, seed=1)
    drawn = {"x": [], "h": []}
    get_x, get_h = cell.get_dropout_mask, cell.get_recurrent_dropout_mask
    cell.get_dropout_mask = lambda step: drawn["x"].append(np.asarray(get_x(step))) or drawn["x"][-1]
    cell.get_recurrent_dropout_mask = lambda h: drawn["h"].append(np.asarray(get_h(h))) or drawn["h"][-1]
    wrap = ns["Recurrence"] if loop == "Recurrence" else keras.layers.RNN
    layer = wrap(cell, return_sequences=True)
    x = np.ones((batch, time, features), "float32")
    layer(x, training=True)  # eager: every step asks for its masks
    first = {k: v[:] for k, v in drawn.items()}
    layer(x, training=True)
    for key, want_rate, width in [("x", rate, features), ("h", recurrent_rate, 8)]:
        masks = first[key]
        assert len(masks) >= time and all(np.array_equal(m, masks[0]) for m in masks)  # one mask, every step
        m = masks[0]
        assert m.shape == (batch, width)
        np.testing.assert_allclose(np.unique(m), [0.0, 1 / (1 - want_rate)], rtol=1e-6)  # inverted scaling
        assert abs((m == 0).mean() - want_rate) < 0.03
        assert not np.array_equal(drawn[key][-1], m)  # the next sequence has another mask


# ----------------------------------------------------------------------------- docstrings
@pytest.mark.parametrize(
    "key,name",
    [
        ("01", "SimpleRNNCell"),
        ("01", "Recurrence"),
        ("01", "JordanRNNCell"),
        ("03", "LSTMCell"),
        ("05", "StackedRNN"),
        ("06", "BidirectionalRNN"),
        ("07", "GRUCell"),
    ],
)
def test_each_class_says_which_built_in_arguments_it_does_not_take(key, name):
    doc = namespace(key)[name].__doc__
    assert "not taken" in doc.lower() or "takes every argument" in doc.lower(), (
        f"{name}'s docstring should list the built-in arguments it does not take"
    )


# ----------------------------------------------------------------------------- Keras's weight arguments
BUILTIN_CELLS = ["SimpleRNNCell", "LSTMCell", "GRUCell", "GRUCell(reset_after=False)"]
REGULARIZERS = {
    "kernel_regularizer": keras.regularizers.L2(0.1),
    "recurrent_regularizer": keras.regularizers.L1(0.2),
    "bias_regularizer": keras.regularizers.L1L2(0.3, 0.4),
}
CONSTRAINTS = {
    "kernel_constraint": keras.constraints.MaxNorm(0.5),
    "recurrent_constraint": keras.constraints.NonNeg(),
    "bias_constraint": keras.constraints.MinMaxNorm(0.1, 0.2),
}


@pytest.mark.parametrize("cell_case", BUILTIN_CELLS + ["PeepholeLSTMCell"], indirect=True)
def test_regularizers_add_the_built_ins_losses_and_survive_saving(cell_case):
    ns, ours, reference = cell_case
    x, _ = make_inputs(3, 5, 4, "float32", False, seed=6)
    mine, theirs = (keras.layers.RNN(make(3, **REGULARIZERS, bias_initializer="ones")) for make in (ours, reference))
    build_and_copy(mine, theirs, x)
    mine(x), theirs(x)
    assert len(mine.losses) == len(theirs.losses) == 3
    np.testing.assert_allclose(
        sorted(float(v) for v in mine.losses), sorted(float(v) for v in theirs.losses), rtol=1e-6
    )
    again = type(mine.cell).from_config(mine.cell.get_config())
    assert {k: type(getattr(again, k)) for k in REGULARIZERS} == {k: type(v) for k, v in REGULARIZERS.items()}
    assert again.get_config()["kernel_regularizer"] == mine.cell.get_config()["kernel_regularizer"]


@pytest.mark.parametrize("cell_case", BUILTIN_CELLS + ["PeepholeLSTMCell"], indirect=True)
def test_constraints_hold_the_weights_after_a_step_as_the_built_ins_do(cell_case):
    ns, ours, reference = cell_case
    x, _ = make_inputs(8, 5, 4, "float32", False, seed=7)
    y = np.random.default_rng(8).normal(size=(8, 3)).astype("float32")
    models = []
    for make in (ours, reference):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((5, 4)), keras.layers.RNN(make(3, **CONSTRAINTS))])
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        models.append(model)
    models[0].set_weights(models[1].get_weights())
    for model in models:
        model.fit(x, y, epochs=2, verbose=0)
    shared = len(models[1].get_weights())  # the peephole cell has its own vectors after the LSTM's weights
    assert_close(models[0].get_weights()[:shared], models[1].get_weights(), 1e-5)
    kernel, recurrent, bias = models[0].get_weights()[:3]
    assert (recurrent >= 0).all() and np.linalg.norm(kernel, axis=0).max() <= 0.5 + 1e-6
    config = models[0].layers[0].cell.get_config()
    assert all(config[name] is not None for name in CONSTRAINTS)


# ----------------------------------------------------------------------------- integer inputs, XLA
@pytest.mark.parametrize("cell_case", list(CELLS), indirect=True)
def test_recurrence_reads_integer_inputs_as_keras_rnn_does(cell_case):
    ns, ours, reference = cell_case
    x = np.array([[[1, 2, 0], [3, -1, 2]], [[0, 1, 1], [2, 2, -2]]])  # int64, (2, 2, 3)
    mine, theirs = ns["Recurrence"](ours(2), return_state=True), keras.layers.RNN(reference(2), return_state=True)
    build_and_copy(mine, theirs, x.astype("float32"))
    out_mine, out_theirs = mine(x), theirs(x)
    assert all(o.dtype == "float32" for o in out_mine)
    assert_close([np.asarray(o) for o in out_mine], [np.asarray(o) for o in out_theirs], TOL["float32"])


@contextlib.contextmanager
def op_determinism_off():
    """Keras never compiles with XLA while TensorFlow's op determinism is on (the notebooks turn it on)."""
    from tensorflow.python.framework import config as tf_config  # no public switch to turn it off again

    was_on = tf_config.is_op_determinism_enabled()
    tf_config.disable_op_determinism()
    try:
        yield
    finally:
        if was_on:
            tf.config.experimental.enable_op_determinism()


@pytest.mark.parametrize(
    "grown_case", ["SimpleRNNCell", "LSTMCell", "GRUCell", "GRUCell(reset_after=False)"], indirect=True
)
@pytest.mark.parametrize("unroll", [False, True])
def test_recurrence_trains_with_jit_compile(grown_case, unroll):
    """With compile(jit_compile=True): the unrolled loop trains under XLA; the scan loop, whose gradient XLA cannot
    take on TensorFlow, trains without it (Keras warns), as Keras's own layers do when they cannot be compiled."""
    ns, ours, _ = grown_case
    x, _ = make_inputs(16, 6, 3, "float32", False, seed=9)
    y = x.sum(axis=(1, 2))[:, None]
    with op_determinism_off():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((6, 3)), ns["Recurrence"](ours(4), unroll=unroll), keras.layers.Dense(1)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.compile(optimizer="adam", loss="mse", jit_compile=True)
        losses = model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert model.jit_compile is unroll
    assert unroll or any("jit_compile" in str(w.message) for w in caught)
