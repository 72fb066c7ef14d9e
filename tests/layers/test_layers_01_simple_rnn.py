"""Notebook 01's layers, loaded from the notebook itself, against keras.layers and NumPy."""

from functools import partial

import keras
import numpy as np
import pytest

from course_code import notebook_namespace
from layer_checks import (
    BACKWARDS_PADDED,
    EDGE_CASES,
    OPTION_NAMES,
    OPTIONS,
    TOL,
    assert_cell_in_keras_bidirectional_matches,
    assert_cell_in_keras_rnn_matches,
    assert_cell_rejects_wrong_step,
    assert_cells_in_stacked_rnn_cells_match,
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

NB = notebook_namespace("notebooks/01_simple_rnn.ipynb")
SimpleRNNCell, Recurrence, JordanRNNCell = NB["SimpleRNNCell"], NB["Recurrence"], NB["JordanRNNCell"]


def twin_layers(units, dtype, cell_kwargs=None, **layer_kwargs):
    """Ours and Keras's SimpleRNN with the same options; ours gets Keras's weights."""
    cell_kwargs = cell_kwargs or {}
    theirs = keras.layers.SimpleRNN(units, dtype=dtype, **cell_kwargs, **layer_kwargs)
    ours = Recurrence(SimpleRNNCell(units, dtype=dtype, **cell_kwargs), dtype=dtype, **layer_kwargs)
    return ours, theirs


@pytest.mark.parametrize(OPTION_NAMES, OPTIONS)
def test_recurrence_matches_keras_simple_rnn(return_sequences, return_state, go_backwards, use_initial_state, padded):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    ours, theirs = twin_layers(
        5, "float32", return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards
    )
    kwargs = {"mask": mask}
    if use_initial_state:
        kwargs["initial_state"] = [np.random.default_rng(1).normal(size=(3, 5)).astype("float32")]
    assert_twins_match(ours, theirs, x, TOL["float32"], **kwargs)


@pytest.mark.parametrize("batch,time,dtype,padded,go_backwards", EDGE_CASES)
def test_edge_cases_batch_one_length_one_float64(batch, time, dtype, padded, go_backwards):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    ours, theirs = twin_layers(4, dtype, return_sequences=True, return_state=True, go_backwards=go_backwards)
    build_and_copy(ours, theirs, x)
    (o1, g1), (o2, g2) = run_with_gradients(ours, x, mask=mask), run_with_gradients(theirs, x, mask=mask)
    assert o1[0].dtype == np.dtype(dtype)
    assert_close(o1, o2, TOL[dtype])
    assert_close(g1, g2, TOL[dtype])


@pytest.mark.parametrize(
    "cell_kwargs",
    [
        {"activation": "relu"},
        {"activation": "sigmoid", "use_bias": False},
        {"kernel_initializer": "ones", "recurrent_initializer": "zeros", "bias_initializer": "random_normal"},
    ],
)
def test_constructor_arguments_match_keras(cell_kwargs):
    x, _ = make_inputs(2, 5, 3, "float32", False)
    ours, theirs = twin_layers(4, "float32", cell_kwargs, return_sequences=True)
    theirs(x), ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    if "kernel_initializer" not in cell_kwargs:
        ours.set_weights(theirs.get_weights())
    else:  # deterministic initializers must produce the same weights without copying
        np.testing.assert_array_equal(ours.get_weights()[0], theirs.get_weights()[0])
        ours.set_weights(theirs.get_weights())
    assert_close(run_with_gradients(ours, x)[0], run_with_gradients(theirs, x)[0], TOL["float32"])


@pytest.mark.parametrize("go_backwards,padded", BACKWARDS_PADDED)
def test_cell_inside_keras_rnn_matches_keras_simple_rnn(go_backwards, padded):
    assert_cell_in_keras_rnn_matches(SimpleRNNCell, keras.layers.SimpleRNN, go_backwards, padded)


def test_recurrence_runs_keras_cells_too():
    x, mask = make_inputs(3, 6, 2, "float32", True)
    theirs = keras.layers.SimpleRNN(5, return_sequences=True)
    ours = Recurrence(keras.layers.SimpleRNNCell(5), return_sequences=True)
    build_and_copy(ours, theirs, x)
    assert_close(run_with_gradients(ours, x, mask=mask)[0], run_with_gradients(theirs, x, mask=mask)[0], TOL["float32"])


def test_cell_inside_stacked_rnn_cells_matches_stacked_keras_cells():
    assert_cells_in_stacked_rnn_cells_match(SimpleRNNCell, keras.layers.SimpleRNNCell)


@pytest.mark.parametrize("merge_mode", ["concat", "sum"])
def test_cell_inside_keras_bidirectional_matches_keras(merge_mode):
    assert_cell_in_keras_bidirectional_matches(SimpleRNNCell, keras.layers.SimpleRNN, merge_mode)


def test_recurrence_inside_keras_bidirectional_matches_keras():
    outputs = assert_cell_in_keras_bidirectional_matches(
        SimpleRNNCell, keras.layers.SimpleRNN, "concat", loop=Recurrence
    )
    assert len(outputs) == 3  # output, forward h_T, backward h_T


def test_from_config_leaves_the_config_unchanged():
    layer = Recurrence(SimpleRNNCell(3), return_sequences=True)
    config = layer.get_config()
    snapshot = repr(config)
    copy = Recurrence.from_config(config)
    assert repr(config) == snapshot
    assert copy.return_sequences and copy.cell.units == 3


def test_mask_propagates_through_a_model_from_an_embedding():
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])  # 0 is padding
    embedding = keras.layers.Embedding(10, 3, mask_zero=True)
    ours = keras.Sequential([embedding, Recurrence(SimpleRNNCell(4), return_sequences=True), keras.layers.Dense(1)])
    theirs = keras.Sequential(
        [
            keras.layers.Embedding(10, 3, mask_zero=True),
            keras.layers.SimpleRNN(4, return_sequences=True),
            keras.layers.Dense(1),
        ]
    )
    ours(tokens), theirs(tokens)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(tokens), theirs(tokens), atol=TOL["float32"])
    padded_steps = ours(tokens).numpy()[0, 3:]
    np.testing.assert_array_equal(padded_steps, np.repeat(ours(tokens).numpy()[0, 2:3], 2, axis=0))


# ----------------------------------------------------------------------------- Jordan
@pytest.mark.parametrize(
    "batch,time,padded,go_backwards,dtype",
    [
        (3, 7, False, False, "float32"),
        (1, 1, False, False, "float32"),
        (4, 6, True, False, "float32"),
        (4, 6, True, True, "float64"),
        (2, 5, False, True, "float64"),
    ],
)
def test_jordan_cell_matches_numpy_and_keras_rnn(batch, time, padded, go_backwards, dtype):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    cell_kwargs = dict(units=5, output_dim=2, bias_initializer="random_normal", dtype=dtype)
    ours = Recurrence(
        JordanRNNCell(**cell_kwargs), return_sequences=True, return_state=True, go_backwards=go_backwards, dtype=dtype
    )
    keras_loop = keras.layers.RNN(
        JordanRNNCell(**cell_kwargs), return_sequences=True, return_state=True, go_backwards=go_backwards, dtype=dtype
    )
    build_and_copy(keras_loop, ours, x)
    (o1, g1), (o2, g2) = run_with_gradients(ours, x, mask=mask), run_with_gradients(keras_loop, x, mask=mask)
    assert_close(o1, o2, TOL[dtype])
    assert_close(g1, g2, TOL[dtype])
    if mask is None:
        x_in = x[:, ::-1] if go_backwards else x
        want = NB["numpy_jordan"](x_in, *ours.get_weights())
        np.testing.assert_allclose(o1[0], want, atol=TOL[dtype] * 10)
        np.testing.assert_allclose(o1[1], want[:, -1], atol=TOL[dtype] * 10)


def test_jordan_initial_state_is_the_previous_output():
    x, _ = make_inputs(2, 4, 3, "float32", False)
    layer = Recurrence(JordanRNNCell(5, output_dim=2), return_sequences=True)
    full = layer(x).numpy()
    resumed = layer(x[:, 2:], initial_state=[full[:, 1]]).numpy()
    np.testing.assert_allclose(resumed, full[:, 2:], atol=1e-6)


def test_jordan_parameter_count():
    layer = Recurrence(JordanRNNCell(5, output_dim=2))
    layer.build((None, None, 3))
    assert layer.count_params() == 3 * 5 + 2 * 5 + 5 + 5 * 2 + 2
    no_bias = Recurrence(JordanRNNCell(5, output_dim=2, use_bias=False))
    no_bias.build((None, None, 3))
    assert no_bias.count_params() == 3 * 5 + 2 * 5 + 5 * 2


# ----------------------------------------------------------------------------- saving
@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: Recurrence(SimpleRNNCell(4, activation="relu"), return_sequences=True, go_backwards=True),
        lambda: keras.layers.RNN(SimpleRNNCell(4), return_sequences=True),
        lambda: Recurrence(JordanRNNCell(4, output_dim=3), return_sequences=True),
        lambda: keras.layers.RNN(JordanRNNCell(4, output_dim=3, output_activation="tanh")),
        lambda: keras.layers.Bidirectional(Recurrence(SimpleRNNCell(4), return_sequences=True)),
    ],
    ids=[
        "Recurrence(SimpleRNNCell)",
        "RNN(SimpleRNNCell)",
        "Recurrence(JordanRNNCell)",
        "RNN(JordanRNNCell)",
        "Bidirectional(Recurrence)",
    ],
)
def test_models_save_to_keras_files_and_load_back(tmp_path, make_layer):
    assert_saves_and_loads(tmp_path, make_layer())


# ----------------------------------------------------------------------------- bad input
LOOPS = pytest.mark.parametrize(
    "make_layer",
    [
        lambda: Recurrence(SimpleRNNCell(4)),
        lambda: Recurrence(JordanRNNCell(4, output_dim=2)),
    ],
    ids=["Recurrence(SimpleRNNCell)", "Recurrence(JordanRNNCell)"],
)


@LOOPS
def test_wrong_rank_names_the_expected_shape(make_layer):
    assert_rejects_wrong_rank(make_layer, (2, 3))


@LOOPS
def test_wrong_feature_size_names_the_expected_shape(make_layer):
    assert_rejects_wrong_feature_size(make_layer, (2, 5, 3), 6)


@LOOPS
def test_wrong_mask_shape_names_the_expected_shape(make_layer):
    assert_rejects_wrong_mask_shape(make_layer, (2, 5, 3), (2, 4))


@pytest.mark.parametrize(
    "make_cell,features",
    [(SimpleRNNCell, 7), (partial(JordanRNNCell, output_dim=2), 1)],
    ids=["SimpleRNNCell", "JordanRNNCell"],
)
def test_a_step_of_the_wrong_size_names_the_expected_shape(make_cell, features):
    assert_cell_rejects_wrong_step(make_cell, (2, 5, 3), features)


def test_unknown_feature_size_is_rejected():
    with pytest.raises(ValueError, match="needs a known feature size"):
        SimpleRNNCell(4).build((None, None))
