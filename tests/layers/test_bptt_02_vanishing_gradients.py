"""Notebook 02's hand-written backpropagation through time and Jacobians, loaded from the notebook itself,
against tf.GradientTape through keras.layers.SimpleRNN, finite differences and the spectral bound."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_code import notebook_namespace

NB = notebook_namespace("notebooks/02_vanishing_gradients.ipynb")
bptt, step_jacobian, state_jacobian, jacobian_norms = (
    NB[n] for n in ("bptt", "step_jacobian", "state_jacobian", "jacobian_norms")
)
numpy_rnn = NB["numpy_rnn"]
TOL = {"float32": 2e-4, "float64": 1e-10}

# (batch, time, input_dim, units, dtype, weight scale): tiny and larger sizes, one step, one unit, batch of one,
# long sequences, saturating weights (scale 1.5), float32 and float64.
CONFIGS = [
    (4, 12, 3, 5, "float64", 0.6),
    (1, 1, 2, 3, "float64", 1.0),
    (3, 30, 4, 8, "float64", 1.5),
    (2, 7, 1, 1, "float64", 0.5),
    (1, 50, 3, 16, "float64", 0.4),
    (6, 5, 10, 2, "float64", 1.0),
    (5, 9, 6, 4, "float32", 0.5),
    (1, 20, 3, 16, "float32", 0.3),
    (3, 1, 2, 2, "float32", 1.0),
]
IDS = [f"b{c[0]}-T{c[1]}-in{c[2]}-u{c[3]}-{c[4]}-s{c[5]}" for c in CONFIGS]


def problem(batch, time, input_dim, units, dtype, scale, seed=0):
    """Random inputs, targets and weights (W, U, b) for one configuration."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, input_dim))
    y = rng.uniform(-1, 1, size=(batch, time, units))
    W = rng.normal(scale=scale, size=(input_dim, units))
    U = rng.normal(scale=scale, size=(units, units))
    b = rng.normal(scale=0.3, size=units)
    return [a.astype(dtype) for a in (x, y, W, U, b)]


def keras_rnn(W, U, b, dtype, return_sequences):
    layer = keras.layers.SimpleRNN(U.shape[0], return_sequences=return_sequences, dtype=dtype)
    layer.build((None, None, W.shape[0]))
    layer.set_weights([W, U, b])
    return layer


def tape_reference(x, y, W, U, b):
    """L = ½ Σ ||h_t − y_t||² through keras.layers.SimpleRNN, and [dW, dU, db, dx] from the tape."""
    layer = keras_rnn(W, U, b, x.dtype.name, return_sequences=True)
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = 0.5 * tf.reduce_sum((layer(x) - y) ** 2)
    return loss.numpy(), [g.numpy() for g in tape.gradient(loss, [*layer.trainable_weights, x])]


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_bptt_matches_gradient_tape(config):
    x, y, W, U, b = problem(*config)
    loss, grads = bptt(x, y, W, U, b)
    want_loss, want_grads = tape_reference(x, y, W, U, b)
    tol = TOL[config[4]]
    np.testing.assert_allclose(loss, want_loss, rtol=tol)
    assert len(grads) == 4
    for name, got, want in zip(["dW", "dU", "db", "dx"], grads, want_grads):
        assert got.shape == want.shape, name
        assert got.dtype == np.dtype(config[4]), name
        np.testing.assert_allclose(got, want, atol=tol, rtol=tol, err_msg=name)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c[4] == "float64"][:3], ids=IDS[:3])
def test_bptt_matches_finite_differences(config):
    """An independent check without TensorFlow: central differences of the loss along random directions."""
    x, y, W, U, b = problem(*config)
    _, grads = bptt(x, y, W, U, b)
    rng = np.random.default_rng(1)
    arrays = [W, U, b, x]
    for i, grad in enumerate(grads):
        direction = rng.normal(size=grad.shape)
        eps = 1e-6

        def loss_at(step):
            moved = [a + step * direction if j == i else a for j, a in enumerate(arrays)]
            return bptt(moved[3], y, *moved[:3])[0]

        numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
        np.testing.assert_allclose(np.sum(grad * direction), numeric, rtol=1e-6, atol=1e-7)


def test_bptt_loss_without_time_coupling_is_per_step():
    """With U = 0 the steps are independent: dL/dx_t must only depend on step t."""
    x, y, W, U, b = problem(2, 6, 3, 4, "float64", 0.7)
    _, (_, _, _, dx) = bptt(x, y, W, np.zeros_like(U), b)
    h = np.tanh(x @ W + b)
    np.testing.assert_allclose(dx, ((h - y) * (1 - h**2)) @ W.T, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_state_jacobian_matches_batch_jacobian(config):
    batch, time, input_dim, units, dtype, scale = config
    x, _, W, U, b = problem(*config)
    hs = numpy_rnn(x, W, U, b)
    layer = keras_rnn(W, U, b, dtype, return_sequences=False)
    for t in sorted({0, time // 2, time - 1}):
        h_t = tf.constant(np.zeros((batch, units), dtype) if t == 0 else hs[:, t - 1])
        with tf.GradientTape() as tape:
            tape.watch(h_t)
            h_T = layer(x[:, t:], initial_state=[h_t])
        want = tape.batch_jacobian(h_T, h_t).numpy()
        got = state_jacobian(hs, U, t)
        assert got.shape == (batch, units, units)
        np.testing.assert_allclose(got, want, atol=TOL[dtype], rtol=TOL[dtype], err_msg=f"t = {t}")
    np.testing.assert_array_equal(state_jacobian(hs, U, time), np.broadcast_to(np.eye(units), (batch, units, units)))


@pytest.mark.parametrize("config", CONFIGS[:6], ids=IDS[:6])
def test_step_jacobian_matches_one_step_of_keras(config):
    batch, _, input_dim, units, dtype, _ = config
    x, _, W, U, b = problem(*config)
    h_prev = tf.constant(np.random.default_rng(3).uniform(-1, 1, size=(batch, units)).astype(dtype))
    with tf.GradientTape() as tape:
        tape.watch(h_prev)
        h_t = keras_rnn(W, U, b, dtype, return_sequences=False)(x[:, :1], initial_state=[h_prev])
    np.testing.assert_allclose(step_jacobian(h_t.numpy(), U), tape.batch_jacobian(h_t, h_prev).numpy(), atol=TOL[dtype])


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_jacobian_norms_are_the_norms_of_state_jacobian_and_obey_the_bound(config):
    batch, time, _, units, dtype, _ = config
    x, _, W, U, b = problem(*config)
    hs = numpy_rnn(x, W, U, b)
    norms = jacobian_norms(hs, U)
    assert norms.shape == (batch, time + 1)
    for k in range(time + 1):
        want = np.linalg.norm(state_jacobian(hs, U, time - k), ord=2, axis=(-2, -1))
        np.testing.assert_allclose(norms[:, k], want, rtol=1e-5 if dtype == "float32" else 1e-10)
    sigma_max = np.linalg.norm(U.astype("float64"), ord=2)
    assert np.all(norms <= sigma_max ** np.arange(time + 1) * (1 + 1e-4))


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_linear_regime_gives_powers_of_u_transposed(rho):
    """Zero input and h_0 = 0 keep the state at 0: ∂h_T/∂h_t = (Uᵀ)^(T−t), norm ρ^(T−t) for U = ρ·orthogonal."""
    rng = np.random.default_rng(4)
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    U, W, T = rho * Q, rng.normal(size=(2, 6)), 9
    hs = numpy_rnn(np.zeros((2, T, 2)), W, U, np.zeros(6))
    for t in (0, 4, 8):
        np.testing.assert_allclose(state_jacobian(hs, U, t)[1], np.linalg.matrix_power(U.T, T - t), atol=1e-12)
    np.testing.assert_allclose(jacobian_norms(hs, U), np.broadcast_to(rho ** np.arange(T + 1), (2, T + 1)), rtol=1e-12)
