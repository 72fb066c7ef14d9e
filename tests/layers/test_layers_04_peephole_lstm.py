"""Notebook 04's PeepholeLSTMCell, loaded from the notebook itself: with zero peepholes against keras.layers.LSTM,
with non-zero peepholes against NumPy and against itself inside keras.layers.RNN."""

import keras
import numpy as np
import pytest
import tensorflow as tf

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
    make_inputs,
    run_with_gradients,
)

NB = notebook_namespace("notebooks/04_peephole_lstm.ipynb")
PeepholeLSTMCell, LSTMCell, Recurrence = NB["PeepholeLSTMCell"], NB["LSTMCell"], NB["Recurrence"]
numpy_peephole_lstm, numpy_lstm = NB["numpy_peephole_lstm"], NB["numpy_lstm"]
RANDOM_PEEPHOLES = {
    "peephole_initializer": keras.initializers.RandomNormal(stddev=1.0, seed=1),
    "bias_initializer": "random_normal",
}
PEEPHOLES = ("p_i", "p_f", "p_o")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def assert_matches_lstm_with_zero_peepholes(ours, theirs, x, tol, **call_kwargs):
    """Give ours Keras's LSTM weights with three zero peephole vectors after each cell's own (one cell, or several
    inside StackedRNNCells or Bidirectional); outputs, states and the gradients with respect to x, the shared
    weights and any initial states must match, every peephole gradient must be finite and of shape (units,) of its
    cell, and ours must have 3 * units more parameters per cell. Used directly and as the helpers' compare."""
    theirs(x), ours(x)
    assert [w.path for w in ours.weights] == [w.path for w in ours.trainable_weights]  # one order for both
    shared, weights, units = iter(theirs.get_weights()), [], []
    for w in ours.weights:  # per cell: kernel, recurrent_kernel[, bias], p_i, p_f, p_o
        if w.name == "recurrent_kernel":
            cell_units = w.shape[0]
        if w.name in PEEPHOLES:
            assert tuple(w.shape) == (cell_units,)
            weights.append(np.zeros(w.shape, dtype=theirs.get_weights()[0].dtype))
            units.append(cell_units)
        else:
            weights.append(next(shared))
    assert next(shared, None) is None  # every one of Keras's weights has its place in ours
    ours.set_weights(weights)
    (o1, g1), (o2, g2) = run_with_gradients(ours, x, **call_kwargs), run_with_gradients(theirs, x, **call_kwargs)
    # dL/dx, then per cell the shared weights (two or three), dL/dp_i, dL/dp_f, dL/dp_o; then dL/d(initial states)
    at = [1 + k for k, w in enumerate(ours.weights) if w.name in PEEPHOLES]
    n_cells = sum(w.name == "recurrent_kernel" for w in ours.weights)
    assert len(at) == 3 * n_cells and len(g1) == len(g2) + len(at)
    peepholes = [g1[k] for k in at]
    assert_close(o1, o2, tol)
    assert_close([g for k, g in enumerate(g1) if k not in at], g2, tol)
    assert all(np.all(np.isfinite(g)) for g in peepholes) and [g.shape for g in peepholes] == [(u,) for u in units]
    assert ours.count_params() == theirs.count_params() + sum(units)
    return o1


# ----------------------------------------------------------------------------- zero peepholes = keras.layers.LSTM
@pytest.mark.parametrize(OPTION_NAMES, OPTIONS)
def test_zero_peepholes_match_keras_lstm(return_sequences, return_state, go_backwards, use_initial_state, padded):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    options = dict(return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards)
    theirs = keras.layers.LSTM(5, **options)
    ours = Recurrence(PeepholeLSTMCell(5), **options)
    kwargs = {"mask": mask}
    if use_initial_state:
        h0, c0 = np.random.default_rng(1).normal(size=(2, 3, 5)).astype("float32")
        kwargs["initial_state"] = [h0, c0]
    outputs = assert_matches_lstm_with_zero_peepholes(ours, theirs, x, TOL["float32"], **kwargs)
    assert len(outputs) == (3 if return_state else 1)  # output, then h_T and c_T


@pytest.mark.parametrize("batch,time,dtype,padded,go_backwards", EDGE_CASES)
def test_zero_peepholes_edge_cases_batch_one_length_one_float64(batch, time, dtype, padded, go_backwards):
    x, mask = make_inputs(batch, time, 3, dtype, padded)
    options = dict(return_sequences=True, return_state=True, go_backwards=go_backwards, dtype=dtype)
    ours, theirs = Recurrence(PeepholeLSTMCell(4, dtype=dtype), **options), keras.layers.LSTM(4, **options)
    outputs = assert_matches_lstm_with_zero_peepholes(ours, theirs, x, TOL[dtype], mask=mask)
    assert all(o.dtype == np.dtype(dtype) for o in outputs)


@pytest.mark.parametrize(
    "cell_kwargs",
    [
        {"activation": "relu"},
        {"recurrent_activation": "hard_sigmoid"},
        {"use_bias": False},
        {"unit_forget_bias": False, "bias_initializer": "ones"},
    ],
)
def test_zero_peepholes_with_lstm_constructor_arguments(cell_kwargs):
    x, mask = make_inputs(2, 5, 3, "float32", True)
    ours = Recurrence(PeepholeLSTMCell(4, **cell_kwargs), return_sequences=True)
    theirs = keras.layers.LSTM(4, return_sequences=True, **cell_kwargs)
    assert_matches_lstm_with_zero_peepholes(ours, theirs, x, TOL["float32"], mask=mask)


@pytest.mark.parametrize("go_backwards,padded", BACKWARDS_PADDED)
def test_zero_peepholes_inside_keras_rnn_match_keras_lstm(go_backwards, padded):
    assert_cell_in_keras_rnn_matches(
        PeepholeLSTMCell, keras.layers.LSTM, go_backwards, padded, compare=assert_matches_lstm_with_zero_peepholes
    )


def test_zero_peepholes_inside_stacked_rnn_cells_match_keras():
    assert_cells_in_stacked_rnn_cells_match(
        PeepholeLSTMCell, keras.layers.LSTMCell, compare=assert_matches_lstm_with_zero_peepholes
    )


@pytest.mark.parametrize("merge_mode", ["concat", "ave"])
def test_zero_peepholes_inside_keras_bidirectional_match_keras(merge_mode):
    assert_cell_in_keras_bidirectional_matches(
        PeepholeLSTMCell, keras.layers.LSTM, merge_mode, compare=assert_matches_lstm_with_zero_peepholes
    )


# ----------------------------------------------------------------------------- non-zero peepholes = the equations
def reference_step(x_t, h, c, kernel, recurrent_kernel, bias, p_i, p_f, p_o):
    """The peephole equations written once more, gate by gate, independently of the notebook's witness."""
    u = recurrent_kernel.shape[0]
    z = (
        lambda k: x_t @ kernel[:, k * u : (k + 1) * u]
        + h @ recurrent_kernel[:, k * u : (k + 1) * u]
        + bias[k * u : (k + 1) * u]
    )
    i, f = sigmoid(z(0) + p_i * c), sigmoid(z(1) + p_f * c)
    c_new = f * c + i * np.tanh(z(2))
    o = sigmoid(z(3) + p_o * c_new)
    return o * np.tanh(c_new), c_new


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_non_zero_peepholes_match_numpy_equations(dtype):
    x, _ = make_inputs(3, 9, 4, dtype, False)
    layer = Recurrence(
        PeepholeLSTMCell(5, dtype=dtype, **RANDOM_PEEPHOLES), return_sequences=True, return_state=True, dtype=dtype
    )
    seq, h_T, c_T = (np.asarray(o) for o in layer(x))
    weights = layer.get_weights()
    assert min(np.abs(p).max() for p in weights[3:]) > 0.1  # the peepholes really are non-zero
    run = numpy_peephole_lstm(x, *weights)
    np.testing.assert_allclose(run["h"], seq, atol=TOL[dtype] * 10)
    np.testing.assert_allclose(run["h"][:, -1], h_T, atol=TOL[dtype] * 10)
    np.testing.assert_allclose(run["c"][:, -1], c_T, atol=TOL[dtype] * 10)
    assert set(run) == {"i", "f", "c_tilde", "o", "c", "h"}
    assert all(0 <= run[g].min() and run[g].max() <= 1 for g in "ifo")
    h = c = np.zeros((3, 5), dtype)
    for t in range(x.shape[1]):  # the witness itself, against an independent step
        h, c = reference_step(x[:, t], h, c, *weights)
        np.testing.assert_allclose(run["h"][:, t], h, atol=TOL[dtype])
        np.testing.assert_allclose(run["c"][:, t], c, atol=TOL[dtype])
    # and the peepholes matter: without them the numbers differ
    assert np.abs(numpy_lstm(x, *weights[:3])["h"] - run["h"]).max() > 0.01


def test_numpy_witness_with_zero_peepholes_is_numpy_lstm():
    x, _ = make_inputs(2, 6, 3, "float64", False)
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), rng.normal(size=16)]
    ours, plain = numpy_peephole_lstm(x, *weights, *np.zeros((3, 4))), numpy_lstm(x, *weights)
    for name in plain:
        np.testing.assert_array_equal(ours[name], plain[name])


def test_which_cell_state_each_gate_sees():
    """From zero states, step 1 has c_0 = 0: p_i and p_f (which see c_{t-1}) cannot matter, p_o (sees c_t) must.
    "Matters" is a change far above float64 round-off (1e-16): how large depends on the drawn weights, which other
    tests' draws would move, so the weights come from a seed of their own."""
    keras.utils.set_random_seed(4)
    x, _ = make_inputs(3, 1, 2, "float64", False)
    layer = Recurrence(PeepholeLSTMCell(4, bias_initializer="random_normal", dtype="float64"), dtype="float64")
    layer(x)
    base = layer.get_weights()
    outputs = {}
    for k, name in zip((3, 4, 5), ("p_i", "p_f", "p_o")):
        weights = [w.copy() for w in base]
        weights[k][:] = 3.0
        layer.set_weights(weights)
        outputs[name] = np.asarray(layer(x))
    layer.set_weights(base)
    plain = np.asarray(layer(x))
    np.testing.assert_array_equal(outputs["p_i"], plain)
    np.testing.assert_array_equal(outputs["p_f"], plain)
    assert np.abs(outputs["p_o"] - plain).max() > 1e-6
    # and over two steps, each peephole changes the output
    x2, _ = make_inputs(3, 2, 2, "float64", False)
    layer.set_weights(base)
    plain2 = np.asarray(layer(x2))
    for k in (3, 4, 5):
        weights = [w.copy() for w in base]
        weights[k][:] = 3.0
        layer.set_weights(weights)
        assert np.abs(np.asarray(layer(x2)) - plain2).max() > 1e-6


@pytest.mark.parametrize(
    "return_sequences,return_state,go_backwards,use_initial_state,padded",
    [
        (True, True, False, False, False),
        (True, True, True, True, True),
        (False, True, False, True, True),
        (True, False, True, False, True),
        (False, False, False, False, False),
        (True, True, False, True, True),
    ],
)
def test_non_zero_peepholes_recurrence_matches_keras_rnn(
    return_sequences, return_state, go_backwards, use_initial_state, padded
):
    x, mask = make_inputs(3, 7, 4, "float32", padded)
    options = dict(return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards)
    ours = Recurrence(PeepholeLSTMCell(5), **options)
    theirs = keras.layers.RNN(PeepholeLSTMCell(5, **RANDOM_PEEPHOLES), **options)
    kwargs = {"mask": mask}
    if use_initial_state:
        kwargs["initial_state"] = list(np.random.default_rng(1).normal(size=(2, 3, 5)).astype("float32"))
    assert_twins_match(ours, theirs, x, TOL["float32"], **kwargs)
    assert np.abs(ours.get_weights()[5]).max() > 0.1


def test_masked_final_states_are_the_states_after_the_last_real_step():
    x, mask = make_inputs(4, 8, 3, "float64", True)
    layer = Recurrence(PeepholeLSTMCell(5, dtype="float64", **RANDOM_PEEPHOLES), return_state=True, dtype="float64")
    _, h_T, c_T = (np.asarray(o) for o in layer(x, mask=mask))
    for b, length in enumerate(mask.sum(axis=1)):
        run = numpy_peephole_lstm(x[b : b + 1, :length], *layer.get_weights())
        np.testing.assert_allclose(h_T[b], run["h"][0, -1], atol=1e-12)
        np.testing.assert_allclose(c_T[b], run["c"][0, -1], atol=1e-12)


def test_peephole_gradients_match_finite_differences():
    x, _ = make_inputs(2, 5, 3, "float64", False)
    layer = Recurrence(PeepholeLSTMCell(4, dtype="float64", **RANDOM_PEEPHOLES), return_sequences=True, dtype="float64")
    layer(x)
    weights = layer.get_weights()
    projection = np.random.default_rng(5).normal(size=(2, 5, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x) * projection)
    grads = [g.numpy() for g in tape.gradient(loss, layer.trainable_weights)]
    numpy_loss = lambda ws: np.sum(numpy_peephole_lstm(x, *ws)["h"] * projection)
    eps = 1e-6
    for k in (3, 4, 5):  # p_i, p_f, p_o
        for j in range(4):
            up, down = [w.copy() for w in weights], [w.copy() for w in weights]
            up[k][j] += eps
            down[k][j] -= eps
            numeric = (numpy_loss(up) - numpy_loss(down)) / (2 * eps)
            np.testing.assert_allclose(grads[k][j], numeric, rtol=1e-5, atol=1e-7)
        assert np.abs(grads[k]).max() > 1e-3


# ----------------------------------------------------------------------------- the layer contract
def test_weights_order_names_shapes_and_default_zero_peepholes():
    cell = PeepholeLSTMCell(3)
    cell.build((None, 2))
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "bias", "p_i", "p_f", "p_o"]
    assert [tuple(w.shape) for w in cell.weights] == [(2, 12), (3, 12), (12,), (3,), (3,), (3,)]
    assert all(np.all(np.asarray(w) == 0) for w in cell.weights[3:])
    assert isinstance(cell, LSTMCell) and cell.state_size == [3, 3] and cell.output_size == 3
    ones = PeepholeLSTMCell(3, peephole_initializer="ones")
    ones.build((None, 2))
    assert all(np.all(np.asarray(w) == 1) for w in ones.weights[3:])
    drawn = PeepholeLSTMCell(3, **RANDOM_PEEPHOLES)
    drawn.build((None, 2))
    p_i, p_f, p_o = (np.asarray(w) for w in drawn.weights[3:])
    assert not (np.allclose(p_i, p_f) or np.allclose(p_f, p_o) or np.allclose(p_i, p_o)), (
        "random peepholes differ by gate"
    )
    no_bias = PeepholeLSTMCell(3, use_bias=False)
    no_bias.build((None, 2))
    assert [w.name for w in no_bias.weights] == ["kernel", "recurrent_kernel", "p_i", "p_f", "p_o"]


def test_get_config_round_trip():
    cell = PeepholeLSTMCell(
        3, peephole_initializer=keras.initializers.RandomNormal(stddev=0.3), activation="relu", unit_forget_bias=False
    )
    config = cell.get_config()
    assert config["peephole_initializer"]["class_name"] == "RandomNormal"
    clone = PeepholeLSTMCell.from_config(config)
    assert clone.get_config() == config
    assert clone.peephole_initializer.stddev == 0.3 and clone.unit_forget_bias is False


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: Recurrence(PeepholeLSTMCell(4, **RANDOM_PEEPHOLES), return_sequences=True),
        lambda: keras.layers.RNN(PeepholeLSTMCell(4, recurrent_activation="hard_sigmoid", **RANDOM_PEEPHOLES)),
        lambda: keras.layers.Bidirectional(
            keras.layers.RNN(PeepholeLSTMCell(3, **RANDOM_PEEPHOLES), return_sequences=True)
        ),
    ],
    ids=["Recurrence(PeepholeLSTMCell)", "RNN(PeepholeLSTMCell)", "Bidirectional(RNN(PeepholeLSTMCell))"],
)
def test_models_save_to_keras_files_and_load_back(tmp_path, make_layer):
    assert_saves_and_loads(tmp_path, make_layer())


def test_wrong_rank_names_the_expected_shape():
    assert_rejects_wrong_rank(lambda: Recurrence(PeepholeLSTMCell(4)), (5, 3))


def test_wrong_feature_size_names_the_expected_shape():
    assert_rejects_wrong_feature_size(lambda: Recurrence(PeepholeLSTMCell(4)), (2, 5, 3), 1)


def test_wrong_mask_shape_names_the_expected_shape():
    assert_rejects_wrong_mask_shape(lambda: Recurrence(PeepholeLSTMCell(4)), (2, 5, 3), (2, 6))


def test_a_step_of_the_wrong_size_names_the_expected_shape():
    assert_cell_rejects_wrong_step(PeepholeLSTMCell, (2, 5, 3), 2)


def test_an_lstms_weights_alone_do_not_fill_a_peephole_cell():
    layer = Recurrence(PeepholeLSTMCell(4))
    layer(np.zeros((2, 5, 3), "float32"))
    lstm = keras.layers.LSTM(4)
    lstm(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError):  # three weights, where the peephole cell has six
        layer.set_weights(lstm.get_weights())


# ----------------------------------------------------------------------------- the experiment's task
def test_delay_task_has_one_trigger_and_one_target_delay_steps_later():
    x, y, fire = NB["make_delay_task"](200, length=30, delay=10, seed=4)
    assert x.shape == y.shape == (200, 30, 1) and x.dtype == y.dtype == np.float32
    assert np.all(x.sum(axis=(1, 2)) == 1) and np.all(y.sum(axis=(1, 2)) == 1)
    np.testing.assert_array_equal(x[:, :, 0].argmax(axis=1) + 10, y[:, :, 0].argmax(axis=1))
    np.testing.assert_array_equal(fire, y[:, :, 0].argmax(axis=1))
    assert fire.min() >= 10 and fire.max() <= 29 and len(set(fire)) > 10
    again = NB["make_delay_task"](200, length=30, delay=10, seed=4)
    np.testing.assert_array_equal(again[0], x)
    assert not np.array_equal(NB["make_delay_task"](200, seed=5)[0], x)


class FixedOutputs:
    """A stand-in model whose predict returns fixed outputs."""

    def __init__(self, outputs):
        self.outputs = outputs

    def predict(self, x, verbose=0):
        return self.outputs


def test_fired_on_time_is_strict():
    x, y, _ = NB["make_delay_task"](50, seed=6)
    fired_on_time = NB["fired_on_time"]
    assert fired_on_time(FixedOutputs(0.9 * y + 0.05), x, y) == 1.0
    assert fired_on_time(FixedOutputs(np.roll(y, 1, axis=1)), x, y) == 0.0  # one step late
    assert fired_on_time(FixedOutputs(np.zeros_like(y)), x, y) == 0.0  # never fires
    late = 0.9 * y
    late[:10] = np.roll(y[:10], 1, axis=1)
    assert fired_on_time(FixedOutputs(late), x, y) == 0.8
    both = 0.9 * y
    both[:5, 0] = 0.9  # an extra spike at step 0 (no target is at step 0)
    assert fired_on_time(FixedOutputs(both), x, y) == 0.9
