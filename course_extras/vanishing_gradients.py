"""02 · Vanishing and exploding gradients: why simple RNNs forget: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/02_vanishing_gradients.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import numpy as np
from .simple_rnn import _exercise_result


#@title Exercise checkers (run this cell; no need to read it)
def check_relu_step_jacobian(relu_step_jacobian):
    """Exercise 1: relu_step_jacobian(x_t, h_prev, W, U, b) must be ∂h_t/∂h_{t-1} of h_t = max(0, x_t W + h_{t-1} U + b)."""
    rng = np.random.default_rng(11)
    x_t, h_prev = rng.normal(size=(3, 2)), rng.normal(size=(3, 4))
    W, U, b = rng.normal(size=(2, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    active = (x_t @ W + h_prev @ U + b > 0).astype(float)
    want = active[:, :, None] * U.T  # diag(ReLU'(z)) Uᵀ per sequence: (batch, units, units)
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
        global_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        want = [g * max_norm / max(global_norm, max_norm) for g in grads]  # what tf.clip_by_global_norm returns
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
