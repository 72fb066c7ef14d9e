"""Helpers shared by the layer checks: inputs, masks, outputs with gradients, comparisons, and the checks every per-notebook module runs (edge cases, the keras.layers.RNN /
StackedRNNCells / Bidirectional trio, save and load, bad input)."""

import itertools
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

TOL = {"float32": 2e-5, "float64": 1e-12}

# Every combination of the options a recurrent layer must honour like its built-in twin (32 cases).
OPTION_NAMES = "return_sequences,return_state,go_backwards,use_initial_state,padded"
OPTIONS = list(itertools.product([False, True], repeat=5))

# (go_backwards, padded) for a cell inside keras.layers.RNN: forwards on a full batch, backwards on a padded one.
BACKWARDS_PADDED = [(False, False), (True, True)]


# Mask shapes the built-ins define the behaviour for: right padding, left padding, holes, and a row with no real
# step at all (its outputs and final states are what keras.layers.RNN gives: zeros or the initial states).
MASK_KINDS = ["right", "left", "holes", "empty_row"]

# (batch, time, dtype, padded, go_backwards): batch of one, one step, float64.
EDGE_CASES = [
    (1, 6, "float32", False, False),
    (1, 6, "float32", True, True),
    (4, 1, "float32", False, False),
    (4, 1, "float32", False, True),
    (3, 8, "float64", False, False),
    (3, 8, "float64", True, True),
    (1, 1, "float64", False, True),
]


def make_inputs(batch, time, features, dtype, padded, seed=0):
    """Random inputs (batch, time, features) and, if padded, a right-padded mask with varied lengths
    (padded=True or "right"), or one of the other MASK_KINDS."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, features)).astype(dtype)
    if not padded:
        return x, None
    lengths = 1 + rng.integers(time, size=batch)  # at least one real step
    lengths[0] = time
    right = np.arange(time)[None, :] < lengths[:, None]
    kind = "right" if padded is True else padded
    if kind == "right":
        return x, right
    if kind == "left":
        return x, right[:, ::-1].copy()
    holes = rng.random((batch, time)) < 0.6
    holes[0] = True
    if kind == "holes":
        return x, holes
    assert kind == "empty_row" and batch > 1
    holes[1] = False  # row 1 has no real step
    return x, holes


def state_sizes(cell):
    """A cell's state sizes as a list: [units, units] for an LSTM cell, [units] for a cell whose state_size is one
    number."""
    return list(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]


def run_with_gradients(layer, x, **kwargs):
    """Outputs as a list, and d(loss)/d(x, weights[, initial states]) for a loss that weighs every output element
    differently. With an initial_state in kwargs its gradients come last, one per state tensor."""
    x = tf.convert_to_tensor(x)
    initial = kwargs.get("initial_state")
    if initial is not None:
        initial = tf.nest.map_structure(tf.convert_to_tensor, initial)
        kwargs = {**kwargs, "initial_state": initial}
    with tf.GradientTape() as tape:
        tape.watch(x)
        if initial is not None:
            tape.watch(tf.nest.flatten(initial))
        outputs = tf.nest.flatten(layer(x, **kwargs))  # output, then every state (nested for stacked cells)
        loss = sum(
            tf.reduce_sum(o * tf.cast(np.random.default_rng(i).normal(size=o.shape), o.dtype))
            for i, o in enumerate(outputs)
        )
    sources = [x, *layer.trainable_weights, *([] if initial is None else tf.nest.flatten(initial))]
    return [o.numpy() for o in outputs], [g.numpy() for g in tape.gradient(loss, sources)]


def assert_close(ours, theirs, tol):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=tol, rtol=tol)


def build_and_copy(ours, theirs, x):
    """Build both layers on x, then give ours the weights of theirs."""
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())


def assert_twins_match(ours, theirs, x, tol, **call_kwargs):
    """Copy theirs' weights into ours; outputs, states, gradients and parameter counts must match."""
    build_and_copy(ours, theirs, x)
    (o1, g1), (o2, g2) = run_with_gradients(ours, x, **call_kwargs), run_with_gradients(theirs, x, **call_kwargs)
    assert_close(o1, o2, tol)
    assert_close(g1, g2, tol)
    assert ours.count_params() == theirs.count_params()
    return o1


def assert_saves_and_loads(tmp_path, recurrent_layer):
    """A model holding recurrent_layer (after a Masking layer, on a padded batch) saves to a .keras file and
    loads back with the same layer types, the same weights and exactly the same outputs. Returns both models."""
    x, _ = make_inputs(2, 5, 3, "float32", False)
    x[1, 3:] = 0.0  # padded steps, masked by the Masking layer
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Masking(0.0), recurrent_layer, keras.layers.Dense(2)])
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    for saved, restored in zip(model.layers, loaded.layers, strict=True):  # the very classes, cells included
        assert [type(part) for part in layer_parts(restored)] == [type(part) for part in layer_parts(saved)]
    for saved, restored in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, restored)
    return model, loaded


# ----------------------------------------------------------------------------- a cell inside Keras's own wrappers
# The factories: make_cell(units) makes our cell, make_builtin(units, **options) the built-in layer (for example
# keras.layers.LSTM) and make_builtin_cell(units) the built-in cell; functools.partial adds other arguments, such as
# reset_after. compare(ours, theirs, x, tol, **call_kwargs) defaults to assert_twins_match; a cell whose weights are
# the built-in's plus more (the peephole LSTM) passes a comparison of its own.


def assert_cell_in_keras_rnn_matches(make_cell, make_builtin, go_backwards, padded, compare=assert_twins_match):
    """keras.layers.RNN(make_cell(5)) against make_builtin(5), both with return_sequences, return_state and
    go_backwards, on a (3, 6, 2) batch, right-padded when padded. Returns the outputs."""
    x, mask = make_inputs(3, 6, 2, "float32", padded)
    options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    ours, theirs = keras.layers.RNN(make_cell(5), **options), make_builtin(5, **options)
    return compare(ours, theirs, x, TOL["float32"], mask=mask)


def assert_cells_in_stacked_rnn_cells_match(make_cell, make_builtin_cell, compare=assert_twins_match):
    """Two of our cells (4 then 6 units) in keras.layers.StackedRNNCells, run by keras.layers.RNN with
    return_sequences and return_state, against the same stack of built-in cells, on a (2, 5, 3) batch."""
    x, _ = make_inputs(2, 5, 3, "float32", False)
    options = dict(return_sequences=True, return_state=True)
    ours = keras.layers.RNN(keras.layers.StackedRNNCells([make_cell(4), make_cell(6)]), **options)
    theirs = keras.layers.RNN(keras.layers.StackedRNNCells([make_builtin_cell(4), make_builtin_cell(6)]), **options)
    return compare(ours, theirs, x, TOL["float32"])


def assert_cell_in_keras_bidirectional_matches(
    make_cell, make_builtin, merge_mode, loop=keras.layers.RNN, compare=assert_twins_match
):
    """keras.layers.Bidirectional(loop(make_cell(4))) against keras.layers.Bidirectional(make_builtin(4)), both
    with return_sequences and return_state and the given merge_mode, on a right-padded (3, 6, 2) batch. loop is
    keras.layers.RNN, or a notebook's own Recurrence. Returns the outputs."""
    x, mask = make_inputs(3, 6, 2, "float32", True)
    options = dict(return_sequences=True, return_state=True)
    ours = keras.layers.Bidirectional(loop(make_cell(4), **options), merge_mode=merge_mode)
    theirs = keras.layers.Bidirectional(make_builtin(4, **options), merge_mode=merge_mode)
    return compare(ours, theirs, x, TOL["float32"], mask=mask)


# ----------------------------------------------------------------------------- bad input
# make_layer() makes a fresh sequence layer (Recurrence(LSTMCell(4)), StackedRNN([...]), ...). Every error must name
# the class that raised it (`name`, by default the layer's own class), the shape it expected and the shape it got.


def raises_message(message):
    """pytest.raises(ValueError) whose message contains `message` word for word."""
    return pytest.raises(ValueError, match=re.escape(message))


def assert_rejects_wrong_rank(make_layer, shape, name=None):
    """make_layer() called on zeros of `shape`, which is not (batch, time, features), and on a symbolic
    keras.Input(shape[1:]), says that it expected (batch, time, features) and what it got."""
    layer = make_layer()
    name = name or type(layer).__name__
    with raises_message(f"{name} expected inputs of shape (batch, time, features), got {tuple(shape)}"):
        layer(np.zeros(shape, "float32"))
    with raises_message(f"{name} expected inputs of shape (batch, time, features), got {(None, *shape[1:])}"):
        make_layer()(keras.Input(shape[1:]))


def assert_rejects_wrong_feature_size(make_layer, shape, features, name=None):
    """make_layer(), built on zeros of `shape` (batch, time, F), then called with `features` features instead of F,
    says that it expected (batch, time, F) and what it got."""
    layer = make_layer()
    layer(np.zeros(shape, "float32"))
    wrong = (*shape[:2], features)
    with raises_message(
        f"{name or type(layer).__name__} expected inputs of shape (batch, time, {shape[-1]}), got {wrong}"
    ):
        layer(np.zeros(wrong, "float32"))


def assert_rejects_wrong_mask_shape(make_layer, shape, mask_shape, name=None):
    """make_layer() called on zeros of `shape` with a mask of `mask_shape`, first while not yet built, then once
    built, says that it expected a mask of shape (batch, time) = shape[:2] and what it got."""
    layer = make_layer()
    x, mask = np.zeros(shape, "float32"), np.ones(mask_shape, bool)
    message = (
        f"{name or type(layer).__name__} expected a mask of shape (batch, time) = {tuple(shape[:2])}, "
        f"got {tuple(mask_shape)}"
    )
    with raises_message(message):
        layer(x, mask=mask)
    layer(x)
    with raises_message(message):
        layer(x, mask=mask)


def assert_cell_rejects_wrong_step(make_cell, shape, features):
    """make_cell(4), built for the F features of `shape` (batch, time, F), then given steps of `features` features,
    called alone on one step and inside keras.layers.RNN on a sequence, says that it expected one step of shape
    (batch, F) and what it got."""
    batch, time, expected = shape
    cell = make_cell(4)
    message = f"{type(cell).__name__} expected one step of shape (batch, {expected}), got {(batch, features)}"
    states = [np.zeros((batch, n), "float32") for n in state_sizes(cell)]
    cell(np.zeros((batch, expected), "float32"), states)
    with raises_message(message):
        cell(np.zeros((batch, features), "float32"), states)
    rnn = keras.layers.RNN(make_cell(4))
    rnn(np.zeros(shape, "float32"))
    with raises_message(message):
        rnn(np.zeros((batch, time, features), "float32"))


def layer_parts(layer):
    """layer and, depth first, the layers and cells inside it (cell, cells, forward/backward layers, ...)."""
    parts = [layer]
    for name in ("cell", "cells", "forward_layer", "backward_layer", "recurrences"):
        inner = getattr(layer, name, None)
        for part in inner if isinstance(inner, (list, tuple)) else [inner]:
            if part is not None and hasattr(part, "get_config"):
                parts += layer_parts(part)
    return parts
