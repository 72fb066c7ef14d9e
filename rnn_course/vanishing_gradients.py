"""02 · Vanishing and exploding gradients: why simple RNNs forget

Generated from notebooks/02_vanishing_gradients.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import numpy as np
import tensorflow as tf
from .simple_rnn import numpy_rnn, _exercise_result


def bptt(x, y, W, U, b):
    """Loss L = ½ Σ_t ||h_t − y_t||² of the Elman RNN on x (batch, time, input_dim), and its gradients
    (dL/dW, dL/dU, dL/db, dL/dx) computed by walking backwards through time."""
    hs = numpy_rnn(x, W, U, b)                                                # (batch, time, units): h_1..h_T
    h_prev = np.concatenate([np.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)  # (batch, time, units): h_0..h_{T-1}
    loss = 0.5 * np.sum((hs - y) ** 2)
    dW, dU, db, dx = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b), np.zeros_like(x)
    g_next = np.zeros_like(hs[:, 0])                     # g_{T+1} = 0                   (batch, units)
    for t in reversed(range(x.shape[1])):
        delta = (hs[:, t] - y[:, t]) + g_next @ U.T      # δ_t = ∂L/∂h_t                 (batch, units)
        g = delta * (1 - hs[:, t] ** 2)                  # g_t = ∂L/∂z_t                 (batch, units)
        dW += x[:, t].T @ g                              # (input_dim, units)
        dU += h_prev[:, t].T @ g                         # (units, units)
        db += g.sum(axis=0)                              # (units,)
        dx[:, t] = g @ W.T                               # (batch, input_dim)
        g_next = g
    return loss, (dW, dU, db, dx)


def step_jacobian(h_t, U):
    """∂h_t/∂h_{t-1} = diag(1 − h_t²) Uᵀ for each sequence of the batch: h_t (batch, units) -> (batch, units, units)."""
    return (1 - h_t ** 2)[:, :, None] * U.T


def state_jacobian(hs, U, t):
    """∂h_T/∂h_t = J_T J_{T-1} ⋯ J_{t+1} for the states hs = (h_1..h_T) of numpy_rnn, (batch, T, units);
    t = 0 is the initial state h_0. Returns (batch, units, units)."""
    J = np.broadcast_to(np.eye(U.shape[0], dtype=hs.dtype), (hs.shape[0], *U.shape)).copy()  # ∂h_T/∂h_T = I
    for s in range(hs.shape[1], t, -1):          # s = T, T-1, ..., t+1
        J = J @ step_jacobian(hs[:, s - 1], U)   # hs[:, s - 1] is h_s
    return J


def jacobian_norms(hs, U):
    """||∂h_T/∂h_{T-k}||₂ (largest singular value) for every distance k = 0..T: (batch, T + 1), from hs (batch, T, units)."""
    batch, T, units = hs.shape
    J = np.broadcast_to(np.eye(units, dtype=hs.dtype), (batch, units, units)).copy()  # k = 0: identity
    norms = [np.linalg.norm(J, ord=2, axis=(-2, -1))]
    for k in range(1, T + 1):
        J = J @ step_jacobian(hs[:, T - k], U)       # now ∂h_T/∂h_{T-k}; hs[:, T - k] is h_{T-k+1}
        norms.append(np.linalg.norm(J, ord=2, axis=(-2, -1)))
    return np.stack(norms, axis=1)                   # (batch, T + 1)


#@title Exercise checkers (run this cell; no need to read it)
def check_relu_step_jacobian(relu_step_jacobian):
    """Exercise 1: relu_step_jacobian(x_t, h_prev, W, U, b) must be ∂h_t/∂h_{t-1} of h_t = max(0, x_t W + h_{t-1} U + b)."""
    rng = np.random.default_rng(11)
    x_t, h_prev = rng.normal(size=(3, 2)), rng.normal(size=(3, 4))
    W, U, b = rng.normal(size=(2, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    h = tf.constant(h_prev)
    with tf.GradientTape() as tape:
        tape.watch(h)
        h_t = tf.nn.relu(x_t @ W + h @ U + b)
    want = tape.batch_jacobian(h_t, h).numpy()  # (batch, units, units)
    active = (x_t @ W + h_prev @ U + b > 0).astype(float)
    try:
        got = np.asarray(relu_step_jacobian(x_t, h_prev, W, U, b))
    except NotImplementedError:
        return _exercise_result(1, "not attempted yet. Hint: start from step_jacobian; only the derivative "
                                   "of the nonlinearity changes.")
    if got.shape != want.shape:
        problem = f"expected one (units, units) matrix per sequence, shape {want.shape}, got {got.shape}."
    elif np.allclose(got, np.broadcast_to(U.T, want.shape)):
        problem = "that is Uᵀ alone. Hint: multiply by ReLU's derivative, 1 where z = x_t W + h_{t-1} U + b > 0."
    elif np.allclose(got, active[:, :, None] * U) or np.allclose(got, active[:, None, :] * U):
        problem = "U is not transposed. Hint: entry [i, j] is ∂h_t[i]/∂h_{t-1}[j] = ReLU'(z_i) U[j, i]."
    elif np.allclose(got, active[:, None, :] * U.T):
        problem = "the derivative scales the columns. Hint: it belongs to h_t's units, the rows: diag(ReLU'(z)) Uᵀ."
    elif np.allclose(got, (1 - np.maximum(0, x_t @ W + h_prev @ U + b) ** 2)[:, :, None] * U.T):
        problem = "that is the tanh derivative 1 − h². Hint: ReLU's derivative is 1 where z > 0 and 0 elsewhere."
    elif not np.allclose(got, want):
        problem = ("the numbers are off. Hint: for each sequence it is diag(ReLU'(z_t)) Uᵀ, with ReLU'(z) = 1 "
                   "where z > 0 and 0 elsewhere (see Hint 2).")
    else:
        problem = None
    return _exercise_result(1, problem)


def check_steps_until_below(steps_until_below):
    """Exercise 2: the smallest whole number k with sigma_max**k < threshold, or None when sigma_max >= 1."""
    cases = [(0.5, 1e-3, 10), (0.9, 1e-3, 66), (0.99, 1e-6, 1375), (0.3, 1e-2, 4), (1.0, 1e-3, None), (1.5, 1e-3, None)]
    for sigma_max, threshold, want in cases:
        try:
            got = steps_until_below(sigma_max, threshold)
        except NotImplementedError:
            return _exercise_result(2, "not attempted yet. Hint: solve σ^k < threshold for k with logarithms.")
        except (ArithmeticError, ValueError) as error:
            return _exercise_result(2, f"your function raised {type(error).__name__} for σ_max = {sigma_max}. Hint: "
                                       f"when σ_max ≥ 1 the bound never falls; return None before taking logarithms.")
        if want is None and got is not None:
            return _exercise_result(2, f"for σ_max = {sigma_max} you returned {got}, but σ_max^k never falls when "
                                       f"σ_max ≥ 1. Hint: return None then.")
        if want is None:
            continue
        if got is None or isinstance(got, (bool, np.bool_)) or not float(got).is_integer():
            return _exercise_result(2, f"for σ_max = {sigma_max} you returned {got!r}; a number of steps is a whole "
                                       f"number. Hint: round up (math.ceil) and return an int.")
        if got == want - 1:
            problem = (f"off by one: for σ_max = {sigma_max}, threshold = {threshold:g}, σ_max^{got} = "
                       f"{sigma_max ** got:.2g} is not yet below it. Hint: round up, not down.")
        elif got != want:
            problem = (f"for σ_max = {sigma_max}, threshold = {threshold:g} the answer is {want}, you said {got}. "
                       f"Hint: k > log(threshold) / log(σ_max), with the same logarithm on both.")
        else:
            continue
        return _exercise_result(2, problem)
    return _exercise_result(2, None)


def check_clip_by_global_norm(clip_by_global_norm):
    """Exercise 3: rescale a list of gradients so that their joint norm is at most max_norm, like tf.clip_by_global_norm."""
    rng = np.random.default_rng(12)
    grads = [rng.normal(size=(3, 4)), 10 * rng.normal(size=(4, 4)), 0.1 * rng.normal(size=4)]
    for max_norm in (5.0, 1000.0):  # the first clips, the second must leave the gradients alone
        want = [g.numpy() for g in tf.clip_by_global_norm(grads, max_norm)[0]]
        try:
            got = [np.asarray(g) for g in clip_by_global_norm([g.copy() for g in grads], max_norm)]
        except NotImplementedError:
            return _exercise_result(3, "not attempted yet. Hint: treat the whole list as one long vector and "
                                       "compute its norm first.")
        if len(got) != len(want) or any(a.shape != b.shape for a, b in zip(got, want)):
            return _exercise_result(3, "return one array per gradient, each in its original shape.")
        if all(np.allclose(a, b) for a, b in zip(got, want)):
            continue
        if all(np.allclose(a, g * min(1.0, max_norm / np.linalg.norm(g))) for a, g in zip(got, grads)):
            problem = ("each gradient was clipped by its own norm (that is Keras's clipnorm). Hint: compute one norm "
                       "over all of them together.")
        elif all(np.allclose(a, np.clip(g, -max_norm, max_norm)) for a, g in zip(got, grads)):
            problem = "that clips every element (Keras's clipvalue). Hint: rescale whole gradients instead."
        elif max_norm == 1000.0:
            problem = "gradients whose global norm is already below max_norm must come back unchanged."
        else:
            problem = ("the numbers are off. Hint: one norm for all the gradients together, √(Σᵢ ‖gᵢ‖²); if "
                       "it is above max_norm, scale every gradient by max_norm / norm (see Hint 2).")
        return _exercise_result(3, problem)
    return _exercise_result(3, None)
