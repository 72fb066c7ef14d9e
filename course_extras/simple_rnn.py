"""01 · The simple recurrent network (Elman RNN), built by hand: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/01_simple_rnn.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from rnn_course.simple_rnn import Recurrence, SimpleRNNCell


#@title Exercise checkers (run this cell; no need to read it)
def _exercise_result(number, problem):
    """Print the verdict of exercise `number`: correct, or what is wrong with a hint."""
    print(f"Exercise {number}: " + ("correct ✓" if problem is None else problem))


def check_relu_rnn_step(relu_rnn_step):
    """Exercise 1: relu_rnn_step(x_t, h_prev, W, U, b) must return max(0, x_t W + h_prev U + b)."""
    rng = np.random.default_rng(7)
    x_t, h_prev = rng.normal(size=(3, 2)), rng.normal(size=(3, 4))
    W, U, b = rng.normal(size=(2, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    z = x_t @ W + h_prev @ U + b
    try:
        got = np.asarray(relu_rnn_step(x_t, h_prev, W, U, b))
    except NotImplementedError:
        return _exercise_result(1, "not attempted yet. Hint: start from rnn_step and change one function.")
    if got.shape != z.shape:
        problem = (f"expected shape (batch, units) = {z.shape}, got {got.shape}. Hint: inputs are rows, so x_t "
                   f"multiplies W from the left, as in rnn_step.")
    elif np.allclose(got, np.tanh(z)):
        problem = "that is the tanh step. Hint: ReLU replaces tanh by max(0, z), entry by entry (see Hint 2)."
    elif np.allclose(got, np.maximum(0, z - b)):
        problem = "close: the bias b is missing."
    elif (got < 0).any():
        problem = "some outputs are negative, which ReLU never gives. Hint: ReLU sets every negative sum to 0."
    elif not np.allclose(got, np.maximum(0, z)):
        problem = "the numbers are off. Hint: h_t = max(0, x_t W + h_{t-1} U + b), with h_{t-1} (not x_t) times U."
    else:
        problem = None
    return _exercise_result(1, problem)


def check_simple_rnn_params(simple_rnn_params):
    """Exercise 2: simple_rnn_params(input_dim, units, use_bias) must equal keras.layers.SimpleRNN's count."""
    for input_dim, units, use_bias in [(3, 4, True), (10, 1, True), (1, 7, False), (5, 5, False)]:
        layer = keras.layers.SimpleRNN(units, use_bias=use_bias)
        layer.build((None, None, input_dim))
        want = layer.count_params()
        try:
            got = simple_rnn_params(input_dim, units, use_bias)
        except NotImplementedError:
            return _exercise_result(2, "not attempted yet. Hint: add up the sizes of W, U and b.")
        if got != want:
            if got == want - units * units:
                hint = "you left out U, which is units × units."
            elif use_bias and got == want - units:
                hint = "you left out the bias b (units numbers)."
            elif not use_bias and got == want + units:
                hint = "with use_bias=False there is no b."
            else:
                hint = "W is input_dim × units, U is units × units, b is units."
            return _exercise_result(2, f"for input_dim={input_dim}, units={units}, use_bias={use_bias} "
                                       f"Keras counts {want}, you said {got}. Hint: {hint}")
    return _exercise_result(2, None)


def check_backward_in_time_order(backward_in_time_order):
    """Exercise 3: the go_backwards outputs, flipped back so that position t belongs to input step t."""
    x = np.random.default_rng(8).normal(size=(2, 6, 3)).astype("float32")
    cell = SimpleRNNCell(5)
    forward_on_reversed = Recurrence(cell, return_sequences=True)(x[:, ::-1])  # reading order: x_T first
    want = ops.convert_to_numpy(forward_on_reversed)[:, ::-1]
    try:
        got = ops.convert_to_numpy(backward_in_time_order(cell, x))
    except NotImplementedError:
        return _exercise_result(3, "not attempted yet. Hint: run the cell backwards with Recurrence, then put the "
                                   "outputs back in time order.")
    if got.shape != want.shape:
        problem = (f"expected shape (batch, time, units) = {want.shape}, got {got.shape}. Hint: switch on "
                   f"return_sequences to get one output per step.")
    elif np.allclose(got, want[:, ::-1], atol=1e-5):
        problem = "these are the outputs in reading order (x_T first). Hint: flip them along the time axis, axis 1."
    elif np.allclose(got, want[::-1, ::-1], atol=1e-5):
        problem = "you flipped the batch axis (0). Time is axis 1."
    elif not np.allclose(got, want, atol=1e-5):
        problem = "the numbers are off. Hint: run the cell with go_backwards on, then flip the time axis (see Hint 2)."
    else:
        problem = None
    return _exercise_result(3, problem)
