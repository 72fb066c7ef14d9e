"""Notebook 06's BidirectionalRNN, loaded from the notebook itself, against keras.layers.Bidirectional."""

from copy import deepcopy

import keras
import numpy as np
import pytest

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
    make_inputs,
    run_with_gradients,
)

NB = notebook_namespace("notebooks/06_bidirectional_lstm.ipynb")
BidirectionalRNN, Recurrence, LSTMCell = NB["BidirectionalRNN"], NB["Recurrence"], NB["LSTMCell"]


def twins(units, dtype="float32", merge_mode="concat", **layer_kwargs):
    """Our wrapper around Recurrence(LSTMCell) and keras.layers.Bidirectional around keras.layers.LSTM."""
    ours = BidirectionalRNN(
        Recurrence(LSTMCell(units, dtype=dtype), dtype=dtype, **layer_kwargs), merge_mode=merge_mode, dtype=dtype
    )
    backward_layer = None
    if layer_kwargs.get("go_backwards"):  # Keras refuses to flip a go_backwards layer itself: give it the other one
        backward_layer = keras.layers.LSTM(units, dtype=dtype, **{**layer_kwargs, "go_backwards": False})
    theirs = keras.layers.Bidirectional(
        keras.layers.LSTM(units, dtype=dtype, **layer_kwargs),
        merge_mode=merge_mode,
        backward_layer=backward_layer,
        dtype=dtype,
    )
    return ours, theirs


def initial_states(batch, units, dtype="float32"):
    return list(np.random.default_rng(1).normal(size=(4, batch, units)).astype(dtype))  # h→, c→, h←, c←


@pytest.mark.parametrize(OPTION_NAMES, OPTIONS)
def test_matches_keras_bidirectional(return_sequences, return_state, go_backwards, use_initial_state, padded):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    ours, theirs = twins(5, return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards)
    kwargs = {"mask": mask}
    if use_initial_state:
        kwargs["initial_state"] = initial_states(3, 5)
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], **kwargs)
    assert len(outputs) == (5 if return_state else 1)  # output, then h→, c→, h←, c←
    assert outputs[0].shape[-1] == 10


@pytest.mark.parametrize(
    "merge_mode,return_sequences,return_state",
    [
        (mode, rs, rst)
        for mode in ["concat", "sum", "ave", "mul", None]
        for rs, rst in [(True, False), (True, True), (False, True)]
    ],
)
def test_every_merge_mode_matches_keras(merge_mode, return_sequences, return_state):
    x, mask = make_inputs(4, 6, 3, "float32", True)
    ours, theirs = twins(5, merge_mode=merge_mode, return_sequences=return_sequences, return_state=return_state)
    outputs = assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)
    n_outputs = 2 if merge_mode is None else 1
    assert len(outputs) == n_outputs + (4 if return_state else 0)
    assert outputs[0].shape[-1] == (10 if merge_mode == "concat" else 5)


@pytest.mark.parametrize(
    "batch,time,dtype,padded,use_initial_state",
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
def test_edge_cases_batch_one_length_one_float64(batch, time, dtype, padded, use_initial_state):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    ours, theirs = twins(4, dtype, return_sequences=True, return_state=True)
    kwargs = {"mask": mask, "initial_state": initial_states(batch, 4, dtype) if use_initial_state else None}
    outputs = assert_twins_match(ours, theirs, x, TOL[dtype], **kwargs)
    assert all(o.dtype == np.dtype(dtype) for o in outputs)


LSTM = lambda **kwargs: keras.layers.LSTM(5, **kwargs)  # noqa: E731


@pytest.mark.parametrize(
    "make_ours,make_theirs",
    [
        (LSTM, LSTM),
        (lambda **kwargs: keras.layers.RNN(LSTMCell(5), **kwargs), LSTM),
        (lambda **kwargs: Recurrence(keras.layers.LSTMCell(5), **kwargs), LSTM),
        (lambda **kwargs: keras.layers.GRU(5, **kwargs), lambda **kwargs: keras.layers.GRU(5, **kwargs)),
        (lambda **kwargs: keras.layers.SimpleRNN(5, **kwargs), lambda **kwargs: keras.layers.SimpleRNN(5, **kwargs)),
    ],
    ids=[
        "keras.layers.LSTM",
        "RNN(LSTMCell)",
        "Recurrence(keras LSTMCell)",
        "keras.layers.GRU",
        "keras.layers.SimpleRNN",
    ],
)
def test_wraps_other_recurrent_layers(make_ours, make_theirs):
    x, mask = make_inputs(3, 7, 4, "float32", True)
    kwargs = dict(return_sequences=True, return_state=True)
    ours, theirs = BidirectionalRNN(make_ours(**kwargs)), keras.layers.Bidirectional(make_theirs(**kwargs))
    assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)


def test_custom_backward_layer_matches_keras():
    x, mask = make_inputs(3, 6, 2, "float32", True)
    ours = BidirectionalRNN(
        Recurrence(LSTMCell(4), return_sequences=True),
        backward_layer=Recurrence(LSTMCell(4, activation="relu"), return_sequences=True, go_backwards=True),
    )
    theirs = keras.layers.Bidirectional(
        keras.layers.LSTM(4, return_sequences=True),
        backward_layer=keras.layers.LSTM(4, activation="relu", return_sequences=True, go_backwards=True),
    )
    assert_twins_match(ours, theirs, x, TOL["float32"], mask=mask)


def test_weights_are_forward_then_backward_and_the_copies_are_fresh():
    layer = Recurrence(LSTMCell(4, unit_forget_bias=False), return_sequences=True)
    layer.build((None, 5, 3))
    wrapper = BidirectionalRNN(layer)
    wrapper.build((None, 5, 3))
    assert wrapper.forward_layer is not layer and wrapper.backward_layer is not layer
    assert (wrapper.forward_layer.go_backwards, wrapper.backward_layer.go_backwards) == (False, True)
    assert wrapper.backward_layer.cell.unit_forget_bias is False and wrapper.backward_layer.cell.units == 4
    assert layer.zero_output_for_mask is False  # the layer passed in is left as it was
    weights = wrapper.get_weights()
    assert len(weights) == 6
    for a, b in zip(weights, wrapper.forward_layer.get_weights() + wrapper.backward_layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(weights[0], layer.get_weights()[0])  # fresh weights, as in Keras


@pytest.mark.parametrize("return_sequences", [False, True])
def test_zero_output_for_mask_follows_return_sequences_like_keras(return_sequences):
    layer = Recurrence(LSTMCell(4), return_sequences=return_sequences, zero_output_for_mask=not return_sequences)
    wrapper = BidirectionalRNN(layer)
    keras_wrapper = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=return_sequences))
    for ours, theirs in [
        (wrapper.forward_layer, keras_wrapper.forward_layer),
        (wrapper.backward_layer, keras_wrapper.backward_layer),
    ]:
        assert ours.zero_output_for_mask == theirs.zero_output_for_mask == return_sequences


def test_padded_steps_output_zero_in_both_halves():
    x, mask = make_inputs(4, 6, 3, "float32", True)
    outputs = np.asarray(BidirectionalRNN(Recurrence(LSTMCell(5), return_sequences=True))(x, mask=mask))
    assert np.all(outputs[~mask] == 0.0)
    assert np.all(np.abs(outputs[mask]).max(axis=-1) > 0)


def test_backward_direction_starts_at_the_last_real_token():
    """Each right-padded sequence, run alone without its padding, gives the same outputs and final states."""
    x, mask = make_inputs(5, 8, 3, "float32", True)
    lengths = mask.sum(axis=1)
    assert len(set(lengths)) > 2
    layer = BidirectionalRNN(Recurrence(LSTMCell(4), return_sequences=True, return_state=True))
    padded = [np.asarray(o) for o in layer(x, mask=mask)]
    for b, n in enumerate(lengths):
        alone = [np.asarray(o) for o in layer(x[b : b + 1, :n])]
        np.testing.assert_allclose(padded[0][b, :n], alone[0][0], atol=1e-6)
        for state, state_alone in zip(padded[1:], alone[1:]):
            np.testing.assert_allclose(state[b], state_alone[0], atol=1e-6)
    # Without the mask, a padded sequence's backward half is wrong at every real step; its forward half is not.
    unmasked = np.asarray(layer(x)[0])
    b, n = int(np.argmin(lengths)), int(lengths.min())
    assert n < 8
    np.testing.assert_allclose(unmasked[b, :n, :4], padded[0][b, :n, :4], atol=1e-6)
    assert np.all(np.abs(unmasked[b, :n, 4:] - padded[0][b, :n, 4:]).max(axis=-1) > 1e-4)


def test_mask_from_an_embedding_reaches_both_directions():
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])  # 0 is padding
    keras.utils.set_random_seed(0)
    ours = keras.Sequential(
        [
            keras.layers.Embedding(10, 3, mask_zero=True),
            BidirectionalRNN(Recurrence(LSTMCell(4), return_sequences=True)),
            keras.layers.Dense(1),
        ]
    )
    theirs = keras.Sequential(
        [
            keras.layers.Embedding(10, 3, mask_zero=True),
            keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
            keras.layers.Dense(1),
        ]
    )
    ours(tokens), theirs(tokens)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(tokens), theirs(tokens), atol=TOL["float32"])
    layer = ours.layers[1]
    embedded = ours.layers[0](tokens)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(embedded, tokens != 0)), tokens != 0)


@pytest.mark.parametrize(
    "return_sequences,return_state,merge_mode",
    [(rs, rst, mode) for rs in [False, True] for rst in [False, True] for mode in ["concat", "mul", None]],
)
def test_output_shapes_match_the_outputs_and_keras(return_sequences, return_state, merge_mode):
    x = np.zeros((2, 7, 3), "float32")
    ours, theirs = twins(5, merge_mode=merge_mode, return_sequences=return_sequences, return_state=return_state)
    outputs, keras_outputs = ours(x), theirs(x)
    shapes = lambda out: [tuple(o.shape) for o in out] if isinstance(out, (list, tuple)) else [tuple(out.shape)]  # noqa: E731
    declared = ours.compute_output_shape((2, 7, 3))
    declared = [tuple(s) for s in declared] if isinstance(declared[0], (list, tuple)) else [tuple(declared)]
    assert shapes(outputs) == shapes(keras_outputs) == declared
    symbolic = ours(keras.Input((7, 3)))  # the functional API uses compute_output_shape
    assert [s[1:] for s in shapes(symbolic)] == [s[1:] for s in declared]


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: BidirectionalRNN(Recurrence(LSTMCell(4), return_sequences=True)),
        lambda: BidirectionalRNN(Recurrence(LSTMCell(4, unit_forget_bias=False)), merge_mode="ave"),
        lambda: BidirectionalRNN(keras.layers.LSTM(4, return_sequences=True), merge_mode="sum"),
        lambda: BidirectionalRNN(
            Recurrence(LSTMCell(3), return_sequences=True),
            merge_mode="mul",
            backward_layer=Recurrence(LSTMCell(3, activation="relu"), return_sequences=True, go_backwards=True),
        ),
    ],
    ids=["Recurrence(LSTMCell)", "ave, last step", "keras.layers.LSTM", "custom backward layer"],
)
def test_models_save_to_keras_files_and_load_back(tmp_path, make_layer):
    model, loaded = assert_saves_and_loads(tmp_path, make_layer())
    wrapper, loaded_wrapper = model.layers[1], loaded.layers[1]
    assert type(loaded_wrapper).__name__ == "BidirectionalRNN"
    assert loaded_wrapper.merge_mode == wrapper.merge_mode
    assert loaded_wrapper.backward_layer.cell.get_config() == wrapper.backward_layer.cell.get_config()
    assert loaded_wrapper.backward_layer.go_backwards and not loaded_wrapper.forward_layer.go_backwards


def test_functional_model_with_states_and_no_merge_saves_and_loads(tmp_path):
    x, mask = make_inputs(3, 6, 2, "float32", False)
    inputs = keras.Input((6, 2))
    outputs = BidirectionalRNN(Recurrence(LSTMCell(3), return_sequences=True, return_state=True), merge_mode=None)(
        inputs
    )
    model = keras.Model(inputs, outputs)
    before = [np.asarray(o) for o in model(x)]
    assert [o.shape for o in before] == [(3, 6, 3), (3, 6, 3)] + [(3, 3)] * 4
    model.save(tmp_path / "states.keras")
    after = [np.asarray(o) for o in keras.saving.load_model(tmp_path / "states.keras")(x)]
    assert_close(after, before, 0.0)


def test_config_round_trip():
    x, mask = make_inputs(2, 5, 3, "float32", True)
    layer = BidirectionalRNN(Recurrence(LSTMCell(4), return_sequences=True, return_state=True), merge_mode="ave")
    layer(x)
    config = layer.get_config()
    copy = BidirectionalRNN.from_config(deepcopy(config))
    copy(x)
    copy.set_weights(layer.get_weights())
    assert copy.get_config() == config
    assert_close(run_with_gradients(copy, x, mask=mask)[0], run_with_gradients(layer, x, mask=mask)[0], 0.0)


def test_bad_layers_and_options_are_rejected_with_a_clear_error():
    with pytest.raises(
        ValueError, match=r"wraps a recurrent layer such as Recurrence\(LSTMCell\(units\)\).*got LSTMCell"
    ):
        BidirectionalRNN(LSTMCell(3))
    with pytest.raises(ValueError, match="got Dense"):
        BidirectionalRNN(keras.layers.Dense(3))
    with pytest.raises(
        ValueError, match=r"merge_mode must be one of \('concat', 'sum', 'ave', 'mul', None\), got 'max'"
    ):
        BidirectionalRNN(keras.layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="backward layer must read the other way.*go_backwards=False"):
        BidirectionalRNN(keras.layers.LSTM(3), backward_layer=keras.layers.LSTM(3))
    with pytest.raises(ValueError, match=r"agree on return_sequences, got False \(forward\) and True \(backward\)"):
        BidirectionalRNN(
            keras.layers.LSTM(3), backward_layer=keras.layers.LSTM(3, go_backwards=True, return_sequences=True)
        )
    with pytest.raises(ValueError, match="agree on return_state"):
        BidirectionalRNN(
            Recurrence(LSTMCell(3)), backward_layer=Recurrence(LSTMCell(3), go_backwards=True, return_state=True)
        )


WRAPPERS = pytest.mark.parametrize(
    "make_layer",
    [
        lambda: BidirectionalRNN(Recurrence(LSTMCell(3))),
        lambda: BidirectionalRNN(Recurrence(LSTMCell(3), return_sequences=True)),
    ],
    ids=["last step", "return_sequences"],
)


@WRAPPERS
def test_wrong_rank_names_the_expected_shape(make_layer):
    assert_rejects_wrong_rank(make_layer, (2, 3))


@WRAPPERS
def test_wrong_feature_size_names_the_expected_shape(make_layer):
    # the wrapped layers check each call's sequences, so the message names Recurrence
    assert_rejects_wrong_feature_size(make_layer, (2, 4, 3), 5, name="Recurrence")


@WRAPPERS
def test_wrong_mask_shape_names_the_expected_shape(make_layer):
    assert_rejects_wrong_mask_shape(make_layer, (2, 4, 3), (2, 5), name="Recurrence")


def test_wrong_number_of_initial_states_names_the_expected_number():
    layer = BidirectionalRNN(Recurrence(LSTMCell(3), return_sequences=True))
    layer(np.zeros((2, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r"expected 4 initial states \(2 forward, then 2 backward\), got 2"):
        layer(np.zeros((2, 4, 3), "float32"), initial_state=[np.zeros((2, 3), "float32")] * 2)
    gru = BidirectionalRNN(keras.layers.GRU(3))
    with pytest.raises(ValueError, match=r"expected 2 initial states \(1 forward, then 1 backward\), got 4"):
        gru(np.zeros((2, 4, 3), "float32"), initial_state=[np.zeros((2, 3), "float32")] * 4)


def test_notebook_tasks_have_the_promised_shapes_and_balance():
    x, y = NB["make_next_token_task"](64, length=12, vocabulary=5)
    assert x.shape == (64, 12, 5) and y.shape == (64, 11)
    np.testing.assert_array_equal(x[:, 1:].argmax(axis=-1), y)  # the tag of step t is the token at t + 1
    x, y = NB["make_match_task"](4000)
    assert x.shape == (4000, 20, 10)
    first, last = x[:, 0].argmax(axis=-1), x[:, -1].argmax(axis=-1)
    assert first.max() < 4 and last.max() < 4 and x[:, 1:-1].argmax(axis=-1).min() >= 4
    np.testing.assert_array_equal(y, (first == last).astype("float32"))
    assert 0.45 < y.mean() < 0.55
