"""Notebook 05's StackedRNN, loaded from the notebook itself, against Keras's two ways of stacking recurrent layers:
keras.layers.RNN(keras.layers.StackedRNNCells([...])) (step by step) and a Sequential of keras.layers.LSTM
(layer by layer)."""

import itertools

import keras
import numpy as np
import pytest
from keras import ops

from course_code import notebook_namespace
from layer_checks import (
    OPTION_NAMES,
    OPTIONS,
    TOL,
    assert_close,
    assert_rejects_wrong_feature_size,
    assert_rejects_wrong_mask_shape,
    assert_rejects_wrong_rank,
    assert_saves_and_loads,
    assert_twins_match,
    build_and_copy,
    make_inputs,
    run_with_gradients,
)

NB = notebook_namespace("notebooks/05_stacked_lstm.ipynb")
StackedRNN, LSTMCell, Recurrence = NB["StackedRNN"], NB["LSTMCell"], NB["Recurrence"]


def initial_states(batch, state_sizes, dtype="float32", seed=1):
    """One list of random states per layer, e.g. [[h¹, c¹], [h², c²]] for state_sizes [[5, 5], [4, 4]]."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(batch, n)).astype(dtype) for n in sizes] for sizes in state_sizes]


def lstm_twins(units, dtype="float32", **layer_kwargs):
    """StackedRNN of our LSTMCells, and keras.layers.RNN(StackedRNNCells) of Keras's, with the same options."""
    ours = StackedRNN([LSTMCell(u, dtype=dtype) for u in units], dtype=dtype, **layer_kwargs)
    cells = keras.layers.StackedRNNCells([keras.layers.LSTMCell(u, dtype=dtype) for u in units], dtype=dtype)
    theirs = keras.layers.RNN(cells, dtype=dtype, **layer_kwargs)
    return ours, theirs


def structure(result):
    """The nesting of a stack's result: ['output', ['state', 'state'], ...]."""
    return ["output", *[["state"] * len(states) for states in result[1:]]]


@pytest.mark.parametrize(OPTION_NAMES, OPTIONS)
def test_matches_keras_stacked_rnn_cells(return_sequences, return_state, go_backwards, use_initial_state, padded):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    ours, theirs = lstm_twins(
        (5, 4), return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards
    )
    kwargs = {"mask": mask}
    if use_initial_state:
        kwargs["initial_state"] = initial_states(3, [[5, 5], [4, 4]])
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], **kwargs)
    assert len(outputs) == (5 if return_state else 1)  # output, then h¹, c¹, h², c²
    assert outputs[0].shape == ((3, 7, 4) if return_sequences else (3, 4))
    if return_state:  # the same nesting as Keras: one list per layer
        assert (
            structure(ours(x, **kwargs)) == structure(theirs(x, **kwargs)) == ["output", ["state"] * 2, ["state"] * 2]
        )


@pytest.mark.parametrize("units", [(6,), (4, 3, 5), (3, 3, 3, 3)])
@pytest.mark.parametrize(
    "go_backwards,padded,use_initial_state",
    [(False, False, False), (True, True, True), (False, True, True), (True, False, False)],
)
def test_one_to_four_layers_match_keras(units, go_backwards, padded, use_initial_state):
    x, mask = make_inputs(3, 6, 2, "float32", padded)
    ours, theirs = lstm_twins(units, return_sequences=True, return_state=True, go_backwards=go_backwards)
    initial = initial_states(3, [[u, u] for u in units]) if use_initial_state else None
    keras_initial = initial
    if len(units) == 1 and use_initial_state:
        # Keras's StackedRNNCells unwraps a lone cell's states and then rejects any initial state for it;
        # a one-layer stack is a plain LSTM layer, so that is the twin here, with its flat [h, c].
        theirs = keras.layers.LSTM(units[0], return_sequences=True, return_state=True, go_backwards=go_backwards)
        keras_initial = initial[0]
    build_and_copy(ours, theirs, x)
    (o1, g1), (o2, g2) = (
        run_with_gradients(ours, x, mask=mask, initial_state=initial),
        run_with_gradients(theirs, x, mask=mask, initial_state=keras_initial),
    )
    assert_close(o1, o2, TOL["float32"])
    assert_close(g1, g2, TOL["float32"])
    assert ours.count_params() == theirs.count_params()
    assert len(o1) == 1 + 2 * len(units)
    assert structure(ours(x)) == ["output", *[["state"] * 2] * len(units)]


@pytest.mark.parametrize("return_sequences,go_backwards", list(itertools.product([False, True], repeat=2)))
def test_matches_a_sequential_of_keras_lstm_layers(return_sequences, go_backwards):
    x, _ = make_inputs(3, 7, 4, "float32", False)
    theirs = keras.Sequential(
        [
            keras.Input((7, 4)),
            keras.layers.LSTM(5, return_sequences=True, go_backwards=go_backwards),
            keras.layers.LSTM(6, return_sequences=True),
            keras.layers.LSTM(4, return_sequences=return_sequences),
        ]
    )
    ours = StackedRNN(
        [LSTMCell(5), LSTMCell(6), LSTMCell(4)], return_sequences=return_sequences, go_backwards=go_backwards
    )
    assert_twins_match(ours, theirs, x, TOL["float32"])


@pytest.mark.parametrize("return_sequences", [False, True])
def test_matches_a_masked_sequential_of_keras_lstm_layers(return_sequences):
    x, mask = make_inputs(4, 7, 3, "float32", True)
    x[~mask] = 0.0  # right padding that keras.layers.Masking recognises
    theirs = keras.Sequential(
        [
            keras.Input((7, 3)),
            keras.layers.Masking(0.0),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.LSTM(4, return_sequences=return_sequences),
        ]
    )
    ours = keras.Sequential(
        [
            keras.Input((7, 3)),
            keras.layers.Masking(0.0),
            StackedRNN([LSTMCell(5), LSTMCell(4)], return_sequences=return_sequences),
        ]
    )
    ours.set_weights(theirs.get_weights())
    (o1, g1), (o2, g2) = run_with_gradients(ours, x), run_with_gradients(theirs, x)
    assert_close(o1, o2, TOL["float32"])
    assert_close(g1, g2, TOL["float32"])
    unmasked = ops.convert_to_numpy(StackedRNN(ours.layers[-1].cells, return_sequences=return_sequences)(x))
    assert not np.allclose(unmasked, o1[0], atol=1e-3)  # the mask really changed the result


def mixed_keras_cells():
    return [keras.layers.SimpleRNNCell(4), keras.layers.GRUCell(5), keras.layers.LSTMCell(3)]


@pytest.mark.parametrize("go_backwards,padded,use_initial_state", list(itertools.product([False, True], repeat=3)))
def test_keras_cells_inside_match_keras(go_backwards, padded, use_initial_state):
    x, mask = make_inputs(3, 6, 2, "float32", padded)
    kwargs = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    ours = StackedRNN(mixed_keras_cells(), **kwargs)
    theirs = keras.layers.RNN(keras.layers.StackedRNNCells(mixed_keras_cells()), **kwargs)
    call_kwargs = {"mask": mask}
    if use_initial_state:
        call_kwargs["initial_state"] = initial_states(3, [[4], [5], [3, 3]])
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], **call_kwargs)
    assert len(outputs) == 1 + 1 + 1 + 2
    assert structure(ours(x, **call_kwargs)) == structure(theirs(x, **call_kwargs))


def test_our_and_keras_cells_mix_in_one_stack():
    x, mask = make_inputs(3, 5, 3, "float32", True)
    ours = StackedRNN([LSTMCell(4), keras.layers.GRUCell(3)], return_sequences=True, return_state=True)
    theirs = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)]),
        return_sequences=True,
        return_state=True,
    )
    assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)


@pytest.mark.parametrize(
    "batch,time,dtype,padded,go_backwards",
    [
        (1, 6, "float32", False, False),
        (1, 6, "float32", True, True),
        (4, 1, "float32", False, False),
        (4, 1, "float32", True, True),
        (3, 8, "float64", False, False),
        (3, 8, "float64", True, True),
        (1, 1, "float64", False, True),
    ],
)
def test_edge_cases_batch_one_length_one_float64(batch, time, dtype, padded, go_backwards):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    ours, theirs = lstm_twins((4, 3), dtype, return_sequences=True, return_state=True, go_backwards=go_backwards)
    outputs = assert_twins_match(
        ours, theirs, x, TOL[dtype], mask=mask, initial_state=initial_states(batch, [[4, 4], [3, 3]], dtype)
    )
    assert all(o.dtype == np.dtype(dtype) for o in outputs)


def test_weights_come_cell_by_cell_in_keras_order():
    x, _ = make_inputs(2, 5, 3, "float32", False)
    ours = StackedRNN([LSTMCell(4), LSTMCell(6)])
    theirs = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True), keras.layers.LSTM(6)])
    ours(x)
    assert [w.name for w in ours.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [(3, 16), (4, 16), (16,), (4, 24), (6, 24), (24,)]
    assert ours.count_params() == theirs.count_params() == 4 * 4 * (3 + 4 + 1) + 4 * 6 * (4 + 6 + 1)


@pytest.mark.parametrize("padded", [False, True])
def test_go_backwards_reads_the_flipped_sequence_once_at_the_bottom(padded):
    x, mask = make_inputs(3, 6, 2, "float32", padded)
    backwards = StackedRNN([LSTMCell(4), LSTMCell(3)], return_sequences=True, return_state=True, go_backwards=True)
    forwards = StackedRNN(backwards.cells, return_sequences=True, return_state=True)  # the same cells and weights
    flip = lambda a: None if a is None else np.flip(a, axis=1).copy()
    assert_close(
        run_with_gradients(backwards, x, mask=mask)[0], run_with_gradients(forwards, flip(x), mask=flip(mask))[0], 0.0
    )


def test_the_same_cells_in_keras_rnn_give_the_same_numbers():
    """Step by step (StackedRNNCells) with our own LSTMCells: the same numbers as our layer-by-layer StackedRNN."""
    x, mask = make_inputs(3, 6, 2, "float32", True)
    ours = StackedRNN([LSTMCell(4), LSTMCell(3)], return_sequences=True, return_state=True)
    ours(x)
    step_by_step = keras.layers.RNN(keras.layers.StackedRNNCells(ours.cells), return_sequences=True, return_state=True)
    assert_close(
        run_with_gradients(ours, x, mask=mask)[0], run_with_gradients(step_by_step, x, mask=mask)[0], TOL["float32"]
    )


@pytest.mark.parametrize("return_sequences,return_state", list(itertools.product([False, True], repeat=2)))
def test_output_shapes_masks_and_symbolic_calls(return_sequences, return_state):
    x, mask = make_inputs(2, 5, 3, "float32", True)
    layer = StackedRNN(
        [LSTMCell(4), keras.layers.GRUCell(6)], return_sequences=return_sequences, return_state=return_state
    )
    result = layer(x, mask=mask)
    shapes = lambda r: [tuple(r[0].shape), *[[tuple(s.shape) for s in states] for states in r[1:]]]
    expected = layer.compute_output_shape((2, 5, 3))
    if return_state:
        assert shapes(result) == expected == [(2, 5, 6) if return_sequences else (2, 6), [(2, 4), (2, 4)], [(2, 6)]]
        out_mask = layer.compute_mask(x, mask)
        assert out_mask[1:] == [[None, None], [None]]
        out_mask = out_mask[0]
    else:
        assert tuple(result.shape) == expected == ((2, 5, 6) if return_sequences else (2, 6))
        out_mask = layer.compute_mask(x, mask)
    assert (out_mask is mask) if return_sequences else out_mask is None
    symbolic = StackedRNN(
        [LSTMCell(4), keras.layers.GRUCell(6)], return_sequences=return_sequences, return_state=return_state
    )(keras.Input((5, 3)))
    got = shapes(symbolic) if return_state else tuple(symbolic.shape)
    assert got == layer.compute_output_shape((None, 5, 3))


def test_config_round_trip_keeps_cells_and_options():
    x, mask = make_inputs(2, 5, 3, "float32", True)
    layer = StackedRNN(
        [LSTMCell(4, unit_forget_bias=False), keras.layers.GRUCell(3, reset_after=False)],
        return_sequences=True,
        return_state=True,
        go_backwards=True,
    )
    layer(x)
    config = layer.get_config()
    assert [c["class_name"] for c in config["cells"]] == ["LSTMCell", "GRUCell"]
    clone = StackedRNN.from_config(config)
    build_and_copy(clone, layer, x)
    assert clone.get_config() == config
    assert [type(c).__name__ for c in clone.cells] == ["LSTMCell", "GRUCell"]
    assert clone.cells[0].unit_forget_bias is False and clone.cells[1].reset_after is False
    assert_close(run_with_gradients(clone, x, mask=mask)[0], run_with_gradients(layer, x, mask=mask)[0], 0.0)


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: StackedRNN([LSTMCell(4), LSTMCell(3)]),
        lambda: StackedRNN([LSTMCell(4), keras.layers.GRUCell(3)], return_sequences=True, go_backwards=True),
        lambda: StackedRNN(
            [keras.layers.SimpleRNNCell(3), keras.layers.LSTMCell(2), LSTMCell(3, unit_forget_bias=False)]
        ),
        lambda: keras.layers.Bidirectional(StackedRNN([LSTMCell(3), LSTMCell(2)], return_sequences=True)),
    ],
    ids=["two LSTMCells", "LSTMCell + GRUCell, backwards", "three mixed cells", "inside Bidirectional"],
)
def test_models_save_to_keras_files_and_load_back(tmp_path, make_layer):
    assert_saves_and_loads(tmp_path, make_layer())


@pytest.mark.parametrize("go_backwards", [False, True])
def test_zero_output_for_mask_matches_keras(go_backwards):
    x, mask = make_inputs(4, 6, 2, "float32", True)
    ours, theirs = lstm_twins((4, 3), return_sequences=True, go_backwards=go_backwards, zero_output_for_mask=True)
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)
    reading_order_mask = np.flip(mask, axis=1) if go_backwards else mask
    assert np.all(outputs[0][~reading_order_mask] == 0.0) and ours.get_config()["zero_output_for_mask"] is True


def test_inside_keras_bidirectional_matches_keras():
    x, mask = make_inputs(3, 6, 2, "float32", True)
    ours = keras.layers.Bidirectional(StackedRNN([LSTMCell(4), LSTMCell(3)], return_sequences=True))
    theirs = keras.layers.Bidirectional(
        keras.layers.RNN(
            keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.LSTMCell(3)]), return_sequences=True
        )
    )
    assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)


def test_trains_like_keras_from_the_same_weights():
    x, _ = make_inputs(32, 6, 2, "float32", False)
    y = (x[:, :, 0].sum(axis=1) > 0).astype("float32")
    models = []
    for stack in (
        StackedRNN([LSTMCell(4), LSTMCell(3)]),
        keras.layers.RNN(keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.LSTMCell(3)])),
    ):
        models.append(keras.Sequential([keras.Input((6, 2)), stack, keras.layers.Dense(1, activation="sigmoid")]))
    models[0].set_weights(models[1].get_weights())
    losses = []
    for model in models:
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
        losses.append(model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], atol=1e-5)
    assert losses[0][-1] < losses[0][0]


STACKS = pytest.mark.parametrize(
    "make_layer",
    [
        lambda: StackedRNN([LSTMCell(4)]),
        lambda: StackedRNN([LSTMCell(4), LSTMCell(2)]),
    ],
    ids=["one LSTMCell", "two LSTMCells"],
)


@STACKS
def test_wrong_rank_names_the_expected_shape(make_layer):
    assert_rejects_wrong_rank(make_layer, (5, 3))


@STACKS
def test_wrong_feature_size_names_the_expected_shape(make_layer):
    assert_rejects_wrong_feature_size(make_layer, (2, 5, 3), 1)


@STACKS
def test_wrong_mask_shape_names_the_expected_shape(make_layer):
    assert_rejects_wrong_mask_shape(make_layer, (2, 5, 3), (2, 6))


@pytest.mark.parametrize(
    "cells", [[], LSTMCell(3), [LSTMCell(3), keras.layers.Dense(3)]], ids=["empty list", "a bare cell", "a Dense layer"]
)
def test_rejects_what_is_not_a_list_of_cells(cells):
    with pytest.raises(ValueError, match=r"StackedRNN expected a non-empty list of cells"):
        StackedRNN(cells)


def test_initial_state_must_come_as_one_list_per_layer():
    x = np.zeros((2, 5, 3), "float32")
    layer = StackedRNN([LSTMCell(4), LSTMCell(2)], return_state=True)
    per_layer = initial_states(2, [[4, 4], [2, 2]])
    layer(x, initial_state=per_layer)  # the right form
    wants = r"one list per layer, with state sizes \[\[4, 4\], \[2, 2\]\]"
    with pytest.raises(
        ValueError, match=wants + r", got shapes \[\[\(2, 4\)\], \[\(2, 4\)\], \[\(2, 2\)\], \[\(2, 2\)\]\]"
    ):
        layer(x, initial_state=[s for states in per_layer for s in states])  # flat, as Keras 2 code may pass it
    with pytest.raises(ValueError, match=wants):
        layer(x, initial_state=per_layer[::-1])  # layers in the wrong order
    with pytest.raises(ValueError, match=wants):
        layer(x, initial_state=per_layer[:1])  # a layer missing
    with pytest.raises(ValueError, match=wants):
        layer(x, initial_state=[per_layer[0], per_layer[1][:1]])  # c missing in layer 2


def test_the_disagreement_task_is_a_majority_of_xors():
    x, y = NB["make_disagreement_task"](500, length=13, seed=3)
    assert x.shape == (500, 13, 2) and y.shape == (500,) and set(np.unique(x)) == {0.0, 1.0}
    disagreements = (x[..., 0] != x[..., 1]).sum(axis=1)
    np.testing.assert_array_equal(y, disagreements >= 7)
    assert 0.35 < y.mean() < 0.65
    x_again, y_again = NB["make_disagreement_task"](500, length=13, seed=3)
    np.testing.assert_array_equal(x, x_again)
    assert not np.array_equal(x, NB["make_disagreement_task"](500, length=13, seed=4)[0])
