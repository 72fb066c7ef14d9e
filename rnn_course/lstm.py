"""03 · The LSTM, gate by gate

Generated from notebooks/03_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import add_to_class, check_feature_size, check_step_input, take_weight_options, weight_options, weight_options_config, gradients


@keras.saving.register_keras_serializable(package="rnn_course")
class LSTMCell(keras.layers.Layer):
    """One LSTM step, gates in Keras's order i, f, c, o:
    i, f, o = sigmoid(x_t W_g + h_{t-1} U_g + b_g);  c~ = tanh(x_t W_c + h_{t-1} U_c + b_c)
    c_t = f * c_{t-1} + i * c~;  h_t = o * tanh(c_t).  Output h_t, states [h_t, c_t].

    Weights as in keras.layers.LSTMCell: kernel = [W_i|W_f|W_c|W_o] (input_dim, 4 units),
    recurrent_kernel = [U_i|U_f|U_c|U_o] (units, 4 units), bias = [b_i|b_f|b_c|b_o] (4 units,).
    Not taken (keras.layers.LSTMCell has it): implementation; dropout enters in notebook 06.
    """

    GATES = ("i", "f", "c", "o")  # Keras's order of the gates in the fused weights

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, **kwargs):
        super().__init__(**take_weight_options(self, kwargs))  # regularizers and constraints (notebook 01)
        self.units, self.use_bias, self.unit_forget_bias = units, use_bias, unit_forget_bias
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size, self.output_size = [units, units], units  # states [h, c]

    def call(self, inputs, states, training=None):
        check_step_input(self, inputs)
        h_prev, c_prev = states                                             # (batch, units) x 2
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel)  # (batch, 4 units)
        if self.use_bias:
            z = z + self.bias
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)                      # x_t W_g + h_{t-1} U_g + b_g, (batch, units)
        i = self.recurrent_activation(z_i)                                  # input gate
        f = self.recurrent_activation(z_f)                                  # forget gate
        c_tilde = self.activation(z_c)                                      # candidate
        o = self.recurrent_activation(z_o)                                  # output gate
        c_t = f * c_prev + i * c_tilde                                      # the conveyor belt
        h_t = o * self.activation(c_t)                                      # (batch, units)
        return h_t, [h_t, c_t]


# LSTMCell, continued: the weights (with the forget-gate bias), the gate-by-gate views of the fused weights, saving.
# Keras needs these; the equations are all in the cell above.
@add_to_class(LSTMCell)
def build(self, input_shape):  # (batch, input_dim)
    self.input_dim, n = check_feature_size(self, input_shape), 4 * self.units  # all four gates side by side
    self.kernel = self.add_weight(shape=(self.input_dim, n), initializer=self.kernel_initializer, name="kernel",
                                  **weight_options(self, "kernel"))
    self.recurrent_kernel = self.add_weight(shape=(self.units, n), initializer=self.recurrent_initializer,
                                            name="recurrent_kernel", **weight_options(self, "recurrent"))
    self.bias = self.add_weight(shape=(n,), initializer=self.initial_bias, name="bias",
                                **weight_options(self, "bias")) if self.use_bias else None


@add_to_class(LSTMCell)
def initial_bias(self, shape, dtype=None):
    """bias_initializer for every gate, but b_f = 1 when unit_forget_bias is on."""
    b = self.bias_initializer(shape, dtype=dtype)
    if not self.unit_forget_bias:
        return b
    u = self.units
    return ops.concatenate([b[:u], ops.ones((u,), dtype=b.dtype), b[2 * u:]])


@add_to_class(LSTMCell)
def gate_weights(self, gate):
    """(W_g, U_g, b_g) for gate in 'i', 'f', 'c', 'o': views of columns of the fused weights."""
    cols = slice(self.GATES.index(gate) * self.units, (self.GATES.index(gate) + 1) * self.units)
    return self.kernel[:, cols], self.recurrent_kernel[:, cols], self.bias[cols] if self.use_bias else None


@add_to_class(LSTMCell)
def pre_activation(self, gate, x_t, h_prev):
    """x_t W_g + h_{t-1} U_g + b_g for one gate, shape (batch, units): the equations as written, gate by gate."""
    W_g, U_g, b_g = self.gate_weights(gate)
    z = ops.matmul(x_t, W_g) + ops.matmul(h_prev, U_g)
    return z if b_g is None else z + b_g


@add_to_class(LSTMCell)
def get_config(self):
    return {**keras.layers.Layer.get_config(self), "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            **weight_options_config(self)}


def numpy_lstm(x, kernel, recurrent_kernel, bias):
    """The LSTM equations in NumPy over x (batch, time, input_dim); a dict of (batch, time, units) arrays
    for the gates 'i', 'f', 'c_tilde', 'o' and the states 'c', 'h'."""
    sigmoid = lambda z: 1 / (1 + np.exp(-z))
    units = recurrent_kernel.shape[0]
    h = c = np.zeros((x.shape[0], units), dtype=x.dtype)
    record = {name: [] for name in ("i", "f", "c_tilde", "o", "c", "h")}
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias        # (batch, 4 units): i, f, c, o
        i, f, c_tilde, o = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units]), np.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
        c = f * c + i * c_tilde
        h = o * np.tanh(c)
        for name, value in zip(record, (i, f, c_tilde, o, c, h)):
            record[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in record.items()}


def make_any_gap_task(n_samples, max_gap=100, n_cues=4, n_fillers=6, seed=0):
    """Sequences (n, 1 + max_gap, n_cues + n_fillers): silence, a cue, then `gap` fillers to the end, with a
    different gap in 0..max_gap per sequence. Returns x, the cue y (n,) and the gaps (n,)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_cues, size=n_samples)
    gaps = rng.integers(max_gap + 1, size=n_samples)
    steps = np.arange(1 + max_gap)[None, :]
    cue_step = (max_gap - gaps)[:, None]                                  # (n, 1)
    tokens = np.where(steps == cue_step, y[:, None], n_cues + rng.integers(n_fillers, size=(n_samples, 1 + max_gap)))
    x = np.eye(n_cues + n_fillers, dtype="float32")[tokens]               # (n, 1 + max_gap, vocabulary)
    x[steps < cue_step] = 0.0                                             # silence before the cue
    return x, y, gaps


def gradient_through_time(model, x, y):
    """||d log p(y | x) / d x_t|| for every step t, averaged over the batch: shape (time,)."""
    def log_p_right(x):
        p_right = ops.take_along_axis(model(x), ops.convert_to_tensor(y[:, None]), axis=1)  # (batch, 1)
        return ops.sum(ops.log(p_right))

    _, (d_x,) = gradients(log_p_right, [x])
    return np.linalg.norm(ops.convert_to_numpy(d_x), axis=2).mean(axis=0)
