"""Notebook 03's LSTMCell, loaded from the notebook itself, against keras.layers.LSTM and NumPy."""

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
    assert_rejects_wrong_feature_size,
    assert_rejects_wrong_mask_shape,
    assert_rejects_wrong_rank,
    assert_saves_and_loads,
    assert_twins_match,
    make_inputs,
)

NB = notebook_namespace("notebooks/03_lstm.ipynb")
LSTMCell, Recurrence, numpy_lstm = NB["LSTMCell"], NB["Recurrence"], NB["numpy_lstm"]


def twins(units, dtype="float32", cell_kwargs=None, **layer_kwargs):
    cell_kwargs = cell_kwargs or {}
    theirs = keras.layers.LSTM(units, dtype=dtype, **cell_kwargs, **layer_kwargs)
    ours = Recurrence(LSTMCell(units, dtype=dtype, **cell_kwargs), dtype=dtype, **layer_kwargs)
    return ours, theirs


@pytest.mark.parametrize(OPTION_NAMES, OPTIONS)
def test_recurrence_lstm_matches_keras_lstm(return_sequences, return_state, go_backwards, use_initial_state, padded):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    ours, theirs = twins(5, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards)
    kwargs = {"mask": mask}
    if use_initial_state:
        h0, c0 = np.random.default_rng(1).normal(size=(2, 3, 5)).astype("float32")
        kwargs["initial_state"] = [h0, c0]
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], **kwargs)
    assert len(outputs) == (3 if return_state else 1)  # output, then h_T and c_T


@pytest.mark.parametrize("batch,time,dtype,padded,go_backwards", EDGE_CASES)
def test_edge_cases_batch_one_length_one_float64(batch, time, dtype, padded, go_backwards):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    ours, theirs = twins(4, dtype, return_sequences=True, return_state=True, go_backwards=go_backwards)
    outputs = assert_twins_match(ours, theirs, x, TOL[dtype], mask=mask)
    assert outputs[0].dtype == np.dtype(dtype)


@pytest.mark.parametrize(
    "cell_kwargs",
    [
        {"activation": "relu"},
        {"recurrent_activation": "hard_sigmoid"},
        {"use_bias": False},
        {"unit_forget_bias": False, "bias_initializer": "ones"},
    ],
)
def test_constructor_arguments_match_keras(cell_kwargs):
    x, mask = make_inputs(2, 5, 3, "float32", True)
    ours, theirs = twins(4, cell_kwargs=cell_kwargs, return_sequences=True)
    assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)


@pytest.mark.parametrize(
    "unit_forget_bias,bias_initializer", [(True, "zeros"), (False, "zeros"), (True, "ones"), (False, "ones")]
)
def test_initial_bias_matches_keras_including_unit_forget_bias(unit_forget_bias, bias_initializer):
    ours, theirs = twins(3, cell_kwargs={"unit_forget_bias": unit_forget_bias, "bias_initializer": bias_initializer})
    ours.build((None, None, 2))
    theirs.build((None, None, 2))
    np.testing.assert_array_equal(ours.get_weights()[2], theirs.get_weights()[2])
    b_f = ours.cell.gate_weights("f")[2]
    assert np.all(np.asarray(b_f) == (1.0 if unit_forget_bias or bias_initializer == "ones" else 0.0))


def test_gate_weights_are_views_in_keras_gate_order():
    cell = LSTMCell(3)
    cell.build((None, 2))
    kernel, recurrent_kernel, bias = cell.get_weights()
    for k, gate in enumerate("ifco"):
        W_g, U_g, b_g = (np.asarray(w) for w in cell.gate_weights(gate))
        np.testing.assert_array_equal(W_g, kernel[:, 3 * k : 3 * k + 3])
        np.testing.assert_array_equal(U_g, recurrent_kernel[:, 3 * k : 3 * k + 3])
        np.testing.assert_array_equal(b_g, bias[3 * k : 3 * k + 3])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_equations_match_the_layer(dtype):
    x, _ = make_inputs(3, 9, 4, dtype, False)
    layer = Recurrence(
        LSTMCell(5, bias_initializer="random_normal", dtype=dtype),
        return_sequences=True,
        return_state=True,
        dtype=dtype,
    )
    seq, h_T, c_T = (np.asarray(o) for o in layer(x))
    run = numpy_lstm(x, *layer.get_weights())
    np.testing.assert_allclose(run["h"], seq, atol=TOL[dtype] * 10)
    np.testing.assert_allclose(run["c"][:, -1], c_T, atol=TOL[dtype] * 10)
    assert set(run) == {"i", "f", "c_tilde", "o", "c", "h"}
    assert all(0 <= run[g].min() and run[g].max() <= 1 for g in "ifo")


@pytest.mark.parametrize("go_backwards,padded", BACKWARDS_PADDED)
def test_cell_inside_keras_rnn_matches_keras_lstm(go_backwards, padded):
    assert_cell_in_keras_rnn_matches(LSTMCell, keras.layers.LSTM, go_backwards, padded)


def test_cell_inside_stacked_rnn_cells_matches_keras():
    assert_cells_in_stacked_rnn_cells_match(LSTMCell, keras.layers.LSTMCell)


@pytest.mark.parametrize("merge_mode", ["concat", "ave"])
def test_cell_inside_keras_bidirectional_matches_keras(merge_mode):
    assert_cell_in_keras_bidirectional_matches(LSTMCell, keras.layers.LSTM, merge_mode)


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: Recurrence(LSTMCell(4, unit_forget_bias=False), return_sequences=True),
        lambda: keras.layers.RNN(LSTMCell(4, recurrent_activation="hard_sigmoid")),
        lambda: keras.layers.Bidirectional(Recurrence(LSTMCell(3), return_sequences=True)),
    ],
    ids=["Recurrence(LSTMCell)", "RNN(LSTMCell)", "Bidirectional(Recurrence(LSTMCell))"],
)
def test_models_save_to_keras_files_and_load_back(tmp_path, make_layer):
    assert_saves_and_loads(tmp_path, make_layer())


def test_wrong_rank_names_the_expected_shape():
    assert_rejects_wrong_rank(lambda: Recurrence(LSTMCell(4)), (5, 3))


def test_wrong_feature_size_names_the_expected_shape():
    assert_rejects_wrong_feature_size(lambda: Recurrence(LSTMCell(4)), (2, 5, 3), 1)


def test_wrong_mask_shape_names_the_expected_shape():
    assert_rejects_wrong_mask_shape(lambda: Recurrence(LSTMCell(4)), (2, 5, 3), (2, 6))


def test_a_step_of_the_wrong_size_names_the_expected_shape():
    assert_cell_rejects_wrong_step(LSTMCell, (2, 5, 3), 2)
