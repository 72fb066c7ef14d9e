"""04 · Peephole connections: gates that see the cell

Generated from notebooks/04_peephole_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from .simple_rnn import add_to_class, check_step_input
from .lstm import LSTMCell


@keras.saving.register_keras_serializable(package="rnn_course")
class PeepholeLSTMCell(LSTMCell):
    """One peephole LSTM step (Gers & Schmidhuber, 2000), gates in Keras's order i, f, c, o:
    i = sigmoid(x_t W_i + h_{t-1} U_i + p_i * c_{t-1} + b_i);  f = sigmoid(x_t W_f + h_{t-1} U_f + p_f * c_{t-1} + b_f)
    c_t = f * c_{t-1} + i * tanh(x_t W_c + h_{t-1} U_c + b_c)
    o = sigmoid(x_t W_o + h_{t-1} U_o + p_o * c_t + b_o);  h_t = o * tanh(c_t).  Output h_t, states [h_t, c_t].

    Weights: LSTMCell's kernel, recurrent_kernel, bias, then the peephole vectors p_i, p_f, p_o (units,) each.
    peephole_initializer (zeros by default) is called once with shape (3, units), one row per vector, because a
    Keras initializer returns the same numbers at every call. Other arguments as LSTMCell, except dropout and
    recurrent_dropout, which it does not take (it raises rather than ignore them).
    """

    def __init__(self, units, peephole_initializer="zeros", **kwargs):
        if kwargs.get("dropout") or kwargs.get("recurrent_dropout"):  # New: not written for the peepholes yet
            raise ValueError("PeepholeLSTMCell takes no dropout or recurrent_dropout; LSTMCell does")
        super().__init__(units, **kwargs)
        self.peephole_initializer = keras.initializers.get(peephole_initializer)  # New

    def build(self, input_shape):  # (batch, input_dim)
        super().build(input_shape)  # kernel, recurrent_kernel, bias
        p = self.peephole_initializer((3, self.units), dtype=self.variable_dtype)  # New: one draw, one row per vector
        add = lambda k, name: self.add_weight(shape=(self.units,), initializer=lambda shape, dtype=None: p[k], name=name)  # New
        self.p_i, self.p_f, self.p_o = add(0, "p_i"), add(1, "p_f"), add(2, "p_o")  # New: (units,) each

    def call(self, inputs, states, training=None):
        check_step_input(self, inputs)
        x_t, (h_prev, c_prev) = inputs, states                                                 # (batch, input_dim), (batch, units) x 2
        i = self.recurrent_activation(self.pre_activation("i", x_t, h_prev) + self.p_i * c_prev)  # New: peeks at c_{t-1}
        f = self.recurrent_activation(self.pre_activation("f", x_t, h_prev) + self.p_f * c_prev)  # New: peeks at c_{t-1}
        c_tilde = self.activation(self.pre_activation("c", x_t, h_prev))                       # candidate, no peephole
        c_t = f * c_prev + i * c_tilde                                                         # the conveyor belt
        o = self.recurrent_activation(self.pre_activation("o", x_t, h_prev) + self.p_o * c_t)     # New: after the belt, peeks at c_t
        h_t = o * self.activation(c_t)                                                         # (batch, units)
        return h_t, [h_t, c_t]


# PeepholeLSTMCell, continued: saving (get_config).
# Keras needs these; the equations are all in the cell above.
@add_to_class(PeepholeLSTMCell)
def get_config(self):
    return {**super(PeepholeLSTMCell, self).get_config(),
            "peephole_initializer": keras.initializers.serialize(self.peephole_initializer)}  # New


def numpy_peephole_lstm(x, kernel, recurrent_kernel, bias, p_i, p_f, p_o):
    """The peephole LSTM equations in NumPy over x (batch, time, input_dim); a dict of (batch, time, units)
    arrays for the gates 'i', 'f', 'c_tilde', 'o' and the states 'c', 'h'."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    h = c = np.zeros((x.shape[0], recurrent_kernel.shape[0]), dtype=x.dtype)
    record = {name: [] for name in ("i", "f", "c_tilde", "o", "c", "h")}
    for t in range(x.shape[1]):
        z_i, z_f, z_c, z_o = np.split(x[:, t] @ kernel + h @ recurrent_kernel + bias, 4, axis=1)  # (batch, units) each
        i = sigmoid(z_i + p_i * c)  # c is still c_{t-1} here
        f = sigmoid(z_f + p_f * c)
        c_tilde = np.tanh(z_c)
        c = f * c + i * c_tilde     # now c is c_t
        o = sigmoid(z_o + p_o * c)
        h = o * np.tanh(c)
        for name, value in zip(record, (i, f, c_tilde, o, c, h)):
            record[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in record.items()}


def make_delay_task(n_samples, length=30, delay=10, seed=0):
    """Trigger sequences x (n, length, 1), zero but for a 1 at a random step t0 < length - delay, and per-step
    targets y (n, length, 1), zero but for a 1 at t0 + delay. Also returns the firing steps t0 + delay (n,)."""
    rng = np.random.default_rng(seed)
    t0 = rng.integers(length - delay, size=n_samples)
    x, y = np.zeros((2, n_samples, length, 1), dtype="float32")
    x[np.arange(n_samples), t0, 0] = 1.0
    y[np.arange(n_samples), t0 + delay, 0] = 1.0
    return x, y, t0 + delay


def fired_on_time(model, x, y):
    """Fraction of sequences whose output is above 0.5 at the target step and below 0.5 at every other step."""
    fired = model.predict(x, verbose=0) > 0.5  # (n, length, 1)
    return float(np.mean(np.all(fired == (y > 0.5), axis=(1, 2))))
