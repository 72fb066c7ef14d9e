"""03 · The LSTM, gate by gate: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/03_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import _exercise_result
from rnn_course.lstm import LSTMCell


#@title Exercise checkers (run this cell; no need to read it)
def check_lstm_step(lstm_step):
    """Exercise 1: lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> (h_t, c_t), gates i, f, c, o."""
    rng = np.random.default_rng(11)
    x_t, h_prev, c_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    kernel, recurrent_kernel, bias = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), rng.normal(size=16)
    sig = lambda z: 1 / (1 + np.exp(-z))
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    zi, zf, zc, zo = z[:, :4], z[:, 4:8], z[:, 8:12], z[:, 12:]
    c_want = sig(zf) * c_prev + sig(zi) * np.tanh(zc)
    h_want = sig(zo) * np.tanh(c_want)
    try:
        h_t, c_t = (np.asarray(a) for a in lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias))
    except NotImplementedError:
        return _exercise_result(1, "not attempted yet. Hint: one fused product z, then split it into 4 blocks of units columns.")
    if h_t.shape != h_want.shape or c_t.shape != c_want.shape:
        problem = f"expected h_t and c_t of shape (batch, units) = {h_want.shape}, got {h_t.shape} and {c_t.shape}."
    elif np.allclose(c_t, sig(zi) * c_prev + sig(zf) * np.tanh(zc)):
        problem = "the input and forget gates are swapped. Keras's order is i, f, c, o."
    elif np.allclose(c_t, sig(zf) * c_prev + sig(zi) * sig(zc)):
        problem = "the candidate uses tanh, not the sigmoid: it proposes values in (-1, 1)."
    elif np.allclose(c_t, c_want) and np.allclose(h_t, sig(zo) * c_want):
        problem = "c_t is right, but h_t = o_t ⊙ tanh(c_t): the tanh is missing."
    elif not np.allclose(c_t, c_want):
        problem = "c_t is off. Hint: c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t, with the blocks of z in the order i, f, c, o."
    elif not np.allclose(h_t, h_want):
        problem = "c_t is right, h_t is off. Hint: h_t = o_t ⊙ tanh(c_t), with o_t from the last block."
    else:
        problem = None
    return _exercise_result(1, problem)


def _cifg_reference(x, kernel, recurrent_kernel, bias, slip=None):
    """The CIFG equations in NumPy over x (batch, time, input_dim), blocks f, c, o; returns (h_1..h_T, h_T, c_T).
    `slip` runs one typical mistake instead: 'states in', 'states out', 'i = f', '1 - f on c', 'no tanh'."""
    sig = lambda z: 1 / (1 + np.exp(-z))
    units = recurrent_kernel.shape[0]
    states = [np.zeros((x.shape[0], units))] * 2                       # [h_0, c_0]
    hs = []
    for t in range(x.shape[1]):
        h_prev, c_prev = states[::-1] if slip == "states in" else states
        z = x[:, t] @ kernel + h_prev @ recurrent_kernel + bias          # (batch, 3 units): f, c, o
        f, c_tilde, o = sig(z[:, :units]), np.tanh(z[:, units:2 * units]), sig(z[:, 2 * units:])
        if slip == "i = f":
            c_t = f * c_prev + f * c_tilde
        elif slip == "1 - f on c":
            c_t = (1 - f) * c_prev + f * c_tilde
        else:
            c_t = f * c_prev + (1 - f) * c_tilde
        h_t = o * (c_t if slip == "no tanh" else np.tanh(c_t))
        states = [c_t, h_t] if slip == "states out" else [h_t, c_t]
        hs.append(h_t)
    return np.stack(hs, axis=1), states[0], states[1]


def _error_line(error):
    """'TypeName: first line' of an error's own message (Keras puts 'Exception encountered ...' before it)."""
    lines = [line.strip() for line in str(error).replace("\x1b[1m", "").replace("\x1b[0m", "").splitlines()]
    lines = [line for line in lines if line and not line.startswith("Exception encountered")]
    return type(error).__name__ + (f": {lines[0][:200]}" if lines else "")


def check_cifg_cell(cifg_cell_class):
    """Exercise 2: a CIFG cell class, run by keras.layers.RNN with known weights, against _cifg_reference."""
    input_dim, units = 3, 4
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2, 5, input_dim)).astype("float32")           # (batch, time, input_dim)
    want_shapes = [(input_dim, 3 * units), (units, 3 * units), (3 * units,)]  # kernel, recurrent_kernel, bias: f, c, o
    weights = [rng.normal(scale=0.7, size=shape).astype("float32") for shape in want_shapes]
    try:
        cell = cifg_cell_class(units)
        cell.build((None, input_dim))
    except NotImplementedError:
        return _exercise_result(2, "not attempted yet. Hint: start from LSTMCell's build and call, with three "
                                   "gate blocks instead of four.")
    shapes = [tuple(w.shape) for w in cell.weights]
    if shapes != want_shapes:
        lstm = " (that is the LSTM's 4·units columns)" if any(4 * units in s for s in shapes) else ""
        return _exercise_result(2, f"build created weights of shapes {shapes}{lstm}; for input_dim {input_dim} and "
                                   f"units {units} expected kernel {want_shapes[0]}, recurrent_kernel "
                                   f"{want_shapes[1]} and bias {want_shapes[2]}, in that order. Hint: three "
                                   f"blocks of units columns, f, c, o.")
    cell.set_weights(weights)
    try:  # one step on its own first: its errors are clearer than those from inside the loop
        step = cell(x[:, 0], [np.zeros((2, units), "float32")] * 2)
    except NotImplementedError:
        return _exercise_result(2, "build is done (its weights have the right shapes); call still raises "
                                   "NotImplementedError. Hint: LSTMCell.call, without the input gate.")
    except Exception as error:
        return _exercise_result(2, f"one step of your cell failed ({_error_line(error)}). Hint: call takes x_t and "
                                   f"[h_{{t-1}}, c_{{t-1}}] and returns h_t and the list [h_t, c_t].")
    if not (isinstance(step, (list, tuple)) and len(step) == 2 and isinstance(step[1], (list, tuple))
            and len(step[1]) == 2):
        return _exercise_result(2, "call must return two things: h_t, and the list of the two new states "
                                   "[h_t, c_t].")
    try:
        out, h_T, c_T = (ops.convert_to_numpy(a) for a in
                         keras.layers.RNN(cell, return_sequences=True, return_state=True)(x))
    except Exception as error:
        return _exercise_result(2, f"keras.layers.RNN could not run your cell ({_error_line(error)}). Hint: call "
                                   f"returns h_t and the list [h_t, c_t], each (batch, units).")
    want = _cifg_reference(x, *weights)
    close = lambda got, ref: all(g.shape == r.shape and np.max(np.abs(g - r)) < 1e-5 for g, r in zip(got, ref))
    if out.shape != want[0].shape or h_T.shape != want[1].shape or c_T.shape != want[2].shape:
        problem = (f"expected outputs (batch, time, units) = {want[0].shape} and final states (batch, units) = "
                   f"{want[1].shape}, got {out.shape}, {h_T.shape} and {c_T.shape}.")
    elif close((out, h_T, c_T), want):
        problem = None
    elif close((out, c_T, h_T), want):
        problem = ("the outputs are right, but the states come back as [c_t, h_t]. Keras's order is [h_t, c_t], "
                   "as in LSTMCell.")
    elif close([out], _cifg_reference(x, *weights, slip="states in")) or close(
            [out], _cifg_reference(x, *weights, slip="states out")):
        problem = ("h and c are swapped between steps: states arrive as [h_{t-1}, c_{t-1}] and must be returned "
                   "as [h_t, c_t], in that order.")
    elif close([out], _cifg_reference(x, *weights, slip="i = f")):
        problem = ("the gates are not coupled: you used f_t as the input gate too. The CIFG writes what it "
                   "forgets, i_t = 1 − f_t.")
    elif close([out], _cifg_reference(x, *weights, slip="1 - f on c")):
        problem = ("the coupling is the wrong way round: f_t keeps c_{t−1}, and the candidate gets the rest, "
                   "(1 − f_t) ⊙ c̃_t.")
    elif close([out], _cifg_reference(x, *weights, slip="no tanh")):
        problem = "c_t is right, but h_t = o_t ⊙ tanh(c_t): the tanh on c_t is missing."
    else:
        problem = ("the numbers are off. Hint: the blocks of the fused product are f, c, o, in that order; "
                   "sigmoid for f and o, tanh for the candidate (see Hint 2).")
    return _exercise_result(2, problem)


def check_textbook_matrix(textbook_matrix):
    """Exercise 3: textbook_matrix(cell, gate) -> M_g of shape (units, units + input_dim) acting on [h; x]."""
    cell = LSTMCell(4)
    cell.build((None, 3))
    cell.set_weights([w + np.random.default_rng(12).normal(size=w.shape) for w in cell.get_weights()])
    for gate in LSTMCell.GATES:
        W_g, U_g, _ = (ops.convert_to_numpy(w) for w in cell.gate_weights(gate))
        want = np.concatenate([U_g, W_g], axis=0).T
        try:
            got = np.asarray(textbook_matrix(cell, gate))
        except NotImplementedError:
            return _exercise_result(3, "not attempted yet. Hint: start from cell.gate_weights(gate).")
        if got.shape == want.T.shape and np.allclose(got, want.T):
            problem = "you built the row-vector form (units + input_dim, units): transpose it."
        elif got.shape != want.shape:
            problem = f"expected shape (units, units + input_dim) = {want.shape}, got {got.shape}."
        elif np.allclose(got, np.concatenate([W_g, U_g], axis=0).T):
            problem = "the blocks are in the order [x; h]; the textbook stacks [h_{t-1}; x_t], so U_g comes first."
        elif not np.allclose(got, want):
            problem = f"gate '{gate}' is off. Hint: M_g = [U_gᵀ W_gᵀ] (section 2), with U_g, W_g from cell.gate_weights."
        else:
            continue
        return _exercise_result(3, problem)
    return _exercise_result(3, None)
