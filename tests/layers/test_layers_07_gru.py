"""Notebook 07's GRUCell, loaded from the notebook itself, against keras.layers.GRU in both forms (reset_after)."""

import itertools
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
    assert_rejects_wrong_feature_size,
    assert_rejects_wrong_mask_shape,
    assert_rejects_wrong_rank,
    assert_saves_and_loads,
    assert_twins_match,
    make_inputs,
    run_with_gradients,
)

NB = notebook_namespace("notebooks/07_gru.ipynb")
GRUCell, Recurrence, pinned_gru = NB["GRUCell"], NB["Recurrence"], NB["pinned_gru"]
FORMS = [True, False]  # reset_after


def twins(units, reset_after, dtype="float32", cell_kwargs=None, **layer_kwargs):
    cell_kwargs = {"reset_after": reset_after, **(cell_kwargs or {})}
    theirs = keras.layers.GRU(units, dtype=dtype, **cell_kwargs, **layer_kwargs)
    ours = Recurrence(GRUCell(units, dtype=dtype, **cell_kwargs), dtype=dtype, **layer_kwargs)
    return ours, theirs


@pytest.mark.parametrize("reset_after", FORMS)
@pytest.mark.parametrize(OPTION_NAMES, OPTIONS)
def test_recurrence_gru_matches_keras_gru(
    reset_after, return_sequences, return_state, go_backwards, use_initial_state, padded
):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    ours, theirs = twins(
        5, reset_after, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards
    )
    kwargs = {"mask": mask}
    if use_initial_state:
        kwargs["initial_state"] = [np.random.default_rng(1).normal(size=(3, 5)).astype("float32")]
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], **kwargs)
    assert len(outputs) == (2 if return_state else 1)  # output, then the one state h_T


@pytest.mark.parametrize("reset_after", FORMS)
@pytest.mark.parametrize("batch,time,dtype,padded,go_backwards", EDGE_CASES)
def test_edge_cases_batch_one_length_one_float64(reset_after, batch, time, dtype, padded, go_backwards):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    ours, theirs = twins(4, reset_after, dtype, return_sequences=True, return_state=True, go_backwards=go_backwards)
    outputs = assert_twins_match(ours, theirs, x, TOL[dtype], mask=mask)
    assert outputs[0].dtype == np.dtype(dtype)


@pytest.mark.parametrize("reset_after", FORMS)
@pytest.mark.parametrize(
    "cell_kwargs",
    [
        {"activation": "relu"},
        {"recurrent_activation": "hard_sigmoid"},
        {"use_bias": False},
        {"bias_initializer": "random_normal"},
    ],
)
def test_constructor_arguments_match_keras(reset_after, cell_kwargs):
    x, mask = make_inputs(2, 5, 3, "float32", True)
    ours, theirs = twins(4, reset_after, cell_kwargs=cell_kwargs, return_sequences=True)
    assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)


@pytest.mark.parametrize("reset_after,use_bias", list(itertools.product(FORMS, [True, False])))
def test_weights_have_keras_names_shapes_and_initial_values(reset_after, use_bias):
    kwargs = {"reset_after": reset_after, "use_bias": use_bias, "bias_initializer": "ones"}
    theirs, ours = keras.layers.GRUCell(3, **kwargs), GRUCell(3, **kwargs)
    theirs.build((None, 2))
    ours.build((None, 2))
    assert [(w.name, w.shape) for w in ours.weights] == [(w.name, w.shape) for w in theirs.weights]
    if use_bias:
        assert ours.bias.shape == ((2, 9) if reset_after else (9,))
        np.testing.assert_array_equal(np.asarray(ours.bias), np.asarray(theirs.bias))


@pytest.mark.parametrize("reset_after", FORMS)
def test_gate_weights_are_views_in_keras_gate_order(reset_after):
    cell = GRUCell(3, reset_after=reset_after, bias_initializer="random_normal")
    cell.build((None, 2))
    kernel, recurrent_kernel, bias = cell.get_weights()
    for k, gate in enumerate("zrh"):
        W_g, U_g, b_g, bbar_g = cell.gate_weights(gate)
        cols = slice(3 * k, 3 * k + 3)
        np.testing.assert_array_equal(np.asarray(W_g), kernel[:, cols])
        np.testing.assert_array_equal(np.asarray(U_g), recurrent_kernel[:, cols])
        np.testing.assert_array_equal(np.asarray(b_g), bias[0, cols] if reset_after else bias[cols])
        if reset_after:
            np.testing.assert_array_equal(np.asarray(bbar_g), bias[1, cols])
        else:
            assert bbar_g is None
    no_bias = GRUCell(3, reset_after=reset_after, use_bias=False)
    no_bias.build((None, 2))
    assert no_bias.gate_weights("h")[2:] == (None, None)


@pytest.mark.parametrize("reset_after", FORMS)
@pytest.mark.parametrize("input_dim,units", [(1, 1), (3, 4), (10, 16)])
def test_parameter_counts_follow_the_formulas(reset_after, input_dim, units):
    ours, theirs = twins(units, reset_after)
    ours.build((None, None, input_dim))
    theirs.build((None, None, input_dim))
    want = 3 * units * (input_dim + units + (2 if reset_after else 1))
    assert ours.count_params() == theirs.count_params() == want


def test_the_two_forms_are_different_functions():
    x, _ = make_inputs(2, 6, 3, "float32", False)
    after, before = Recurrence(GRUCell(4, reset_after=True)), Recurrence(GRUCell(4, reset_after=False))
    after(x), before(x)
    kernel, recurrent_kernel, bias = after.get_weights()
    before.set_weights([kernel, recurrent_kernel, bias[0] + 0.5])
    after.set_weights([kernel, recurrent_kernel, np.stack([bias[0] + 0.5, 0 * bias[1]])])
    assert np.max(np.abs(np.asarray(after(x)) - np.asarray(before(x)))) > 1e-3


def test_recurrent_biases_of_z_and_r_are_redundant_but_not_of_h():
    x, _ = make_inputs(4, 9, 3, "float32", False)
    layer = Recurrence(GRUCell(5, bias_initializer="random_normal"), return_sequences=True)
    _, grads = run_with_gradients(layer, x)
    d_bias = grads[3]  # after dL/dx, dL/dkernel, dL/drecurrent_kernel
    np.testing.assert_allclose(d_bias[0, :10], d_bias[1, :10], atol=1e-6)
    assert np.max(np.abs(d_bias[0, 10:] - d_bias[1, 10:])) > 1e-3


@pytest.mark.parametrize("reset_after", FORMS)
def test_pinned_gates_copy_the_state_or_give_the_simple_rnn(reset_after):
    x, _ = make_inputs(3, 30, 2, "float32", False)
    elman = keras.layers.SimpleRNN(5, return_sequences=True, bias_initializer="random_normal")
    elman_seq = np.asarray(elman(x))
    W, U, b = elman.get_weights()
    h0 = np.random.default_rng(3).normal(scale=0.5, size=(3, 5)).astype("float32")
    copied = pinned_gru(W, U, b, z_bias=30.0, r_bias=0.0, reset_after=reset_after)(x, initial_state=[h0])[1]
    np.testing.assert_array_equal(np.asarray(copied), h0)
    simple = pinned_gru(W, U, b, z_bias=-30.0, r_bias=30.0, reset_after=reset_after)(x)[0]
    np.testing.assert_allclose(np.asarray(simple), elman_seq, atol=TOL["float32"])
    not_pinned = pinned_gru(W, U, b, z_bias=0.0, r_bias=0.0, reset_after=reset_after)(x)[0]
    assert np.max(np.abs(np.asarray(not_pinned) - elman_seq)) > 0.1


@pytest.mark.parametrize("reset_after", FORMS)
@pytest.mark.parametrize("go_backwards,padded", BACKWARDS_PADDED)
def test_cell_inside_keras_rnn_matches_keras_gru(reset_after, go_backwards, padded):
    assert_cell_in_keras_rnn_matches(
        partial(GRUCell, reset_after=reset_after),
        partial(keras.layers.GRU, reset_after=reset_after),
        go_backwards,
        padded,
    )


@pytest.mark.parametrize("reset_after", FORMS)
def test_cell_inside_stacked_rnn_cells_matches_keras(reset_after):
    assert_cells_in_stacked_rnn_cells_match(
        partial(GRUCell, reset_after=reset_after), partial(keras.layers.GRUCell, reset_after=reset_after)
    )


@pytest.mark.parametrize("reset_after", FORMS)
@pytest.mark.parametrize("merge_mode", ["concat", "ave"])
def test_cell_inside_keras_bidirectional_matches_keras(reset_after, merge_mode):
    assert_cell_in_keras_bidirectional_matches(
        partial(GRUCell, reset_after=reset_after), partial(keras.layers.GRU, reset_after=reset_after), merge_mode
    )


@pytest.mark.parametrize("reset_after", FORMS)
def test_config_round_trip_keeps_every_argument(reset_after):
    cell = GRUCell(
        3,
        activation="relu",
        recurrent_activation="hard_sigmoid",
        use_bias=False,
        kernel_initializer="ones",
        recurrent_initializer="zeros",
        bias_initializer="random_normal",
        reset_after=reset_after,
    )
    again = GRUCell.from_config(cell.get_config())
    assert again.get_config() == cell.get_config()
    assert (again.units, again.use_bias, again.reset_after) == (3, False, reset_after)


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: Recurrence(GRUCell(4, reset_after=False), return_sequences=True),
        lambda: Recurrence(GRUCell(4, bias_initializer="random_normal"), return_sequences=True),
        lambda: keras.layers.RNN(GRUCell(4, recurrent_activation="hard_sigmoid")),
        lambda: keras.layers.Bidirectional(Recurrence(GRUCell(3, reset_after=False), return_sequences=True)),
    ],
    ids=[
        "Recurrence(GRUCell, reset_after=False)",
        "Recurrence(GRUCell)",
        "RNN(GRUCell)",
        "Bidirectional(Recurrence(GRUCell))",
    ],
)
def test_models_save_to_keras_files_and_load_back(tmp_path, make_layer):
    assert_saves_and_loads(tmp_path, make_layer())


@pytest.mark.parametrize("reset_after", FORMS)
def test_wrong_rank_names_the_expected_shape(reset_after):
    assert_rejects_wrong_rank(lambda: Recurrence(GRUCell(4, reset_after=reset_after)), (5, 3))


@pytest.mark.parametrize("reset_after", FORMS)
def test_wrong_feature_size_names_the_expected_shape(reset_after):
    assert_rejects_wrong_feature_size(lambda: Recurrence(GRUCell(4, reset_after=reset_after)), (2, 5, 3), 1)


@pytest.mark.parametrize("reset_after", FORMS)
def test_wrong_mask_shape_names_the_expected_shape(reset_after):
    assert_rejects_wrong_mask_shape(lambda: Recurrence(GRUCell(4, reset_after=reset_after)), (2, 5, 3), (2, 6))


@pytest.mark.parametrize("reset_after", FORMS)
def test_a_step_of_the_wrong_size_names_the_expected_shape(reset_after):
    assert_cell_rejects_wrong_step(partial(GRUCell, reset_after=reset_after), (2, 5, 3), 2)


def test_unknown_feature_size_is_rejected():
    with pytest.raises(ValueError, match="GRUCell needs a known feature size"):
        GRUCell(4).build((None, None))
