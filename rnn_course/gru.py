"""07 · The GRU: two gates, one state

Generated from notebooks/07_gru.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import add_to_class, check_feature_size, check_step_input, take_weight_options, weight_options, weight_options_config, Recurrence
from .bidirectional_lstm import WithDropout, Recurrence


@keras.saving.register_keras_serializable(package="rnn_course")
class GRUCell(WithDropout, keras.layers.Layer):
    """One GRU step, gates in Keras's order z, r, h:
    z, r = sigmoid(x_t W_g + b_g + h_{t-1} U_g + bbar_g)
    reset_after=True:  h_hat = tanh(x_t W_h + b_h + r * (h_{t-1} U_h + bbar_h))
    reset_after=False: h_hat = tanh(x_t W_h + b_h + (r * h_{t-1}) U_h)
    h_t = z * h_{t-1} + (1 - z) * h_hat.  Output h_t, state [h_t].
    Weights as in keras.layers.GRUCell (gate_weights). Dropout (notebook 06): m_h only where h_{t-1} meets U.
    Not taken (keras.layers.GRUCell has it): implementation."""

    GATES = ("z", "r", "h")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, **kwargs):  # kwargs: dropout, ..., regularizers
        super().__init__(**take_weight_options(self, kwargs))          # WithDropout takes dropout and seed
        self.units, self.use_bias, self.reset_after = units, use_bias, reset_after
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = self.output_size = units  # one state, h

    def call(self, inputs, states, training=None):
        check_step_input(self, inputs)
        h_prev = states[0] if isinstance(states, (list, tuple)) else states  # (batch, units)
        x_t, h_in = self.dropped(inputs, h_prev, training)                  # x_t * m_x, h_{t-1} * m_h (training)
        a_z, a_r, a_h = ops.split(self.input_parts(x_t), 3, axis=-1)        # x_t W_g + b_g, (batch, units) each
        if self.reset_after:
            m_z, m_r, m_h = ops.split(self.recurrent_parts(h_in), 3, axis=-1)   # h_{t-1} U_g + bbar_g
        else:
            m_z, m_r = ops.split(ops.matmul(h_in, self.recurrent_kernel[:, :2 * self.units]), 2, axis=-1)
        z = self.recurrent_activation(a_z + m_z)                             # update gate
        r = self.recurrent_activation(a_r + m_r)                             # reset gate
        if self.reset_after:
            h_hat = self.activation(a_h + r * m_h)                           # r after U_h
        else:
            h_hat = self.activation(a_h + ops.matmul(r * h_in, self.recurrent_kernel[:, 2 * self.units:]))  # r first
        h_t = z * h_prev + (1 - z) * h_hat                                  # (batch, units)
        return h_t, [h_t] if isinstance(states, (list, tuple)) else h_t


# GRUCell, continued: the weights, the fused and gate-by-gate views of them, saving.
# Keras needs these; the equations are all in the cell above.
@add_to_class(GRUCell)
def build(self, input_shape):  # (batch, input_dim)
    self.input_dim, n = check_feature_size(self, input_shape), 3 * self.units  # the three gates side by side
    self.kernel = self.add_weight(shape=(self.input_dim, n), initializer=self.kernel_initializer, name="kernel",
                                  **weight_options(self, "kernel"))
    self.recurrent_kernel = self.add_weight(shape=(self.units, n), initializer=self.recurrent_initializer,
                                            name="recurrent_kernel", **weight_options(self, "recurrent"))
    bias_shape = (2, n) if self.reset_after else (n,)  # two rows: input biases b, recurrent biases bbar
    self.bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer, name="bias",
                                **weight_options(self, "bias")) if self.use_bias else None


@add_to_class(GRUCell)
def input_parts(self, x_t):
    """x_t W_g + b_g for the three gates side by side, (batch, 3 units): one product for all of them."""
    a = ops.matmul(x_t, self.kernel)
    if not self.use_bias:
        return a
    return a + (self.bias[0] if self.reset_after else self.bias)


@add_to_class(GRUCell)
def recurrent_parts(self, h):
    """h U_g + bbar_g for the three gates side by side, (batch, 3 units) (reset_after=True)."""
    m = ops.matmul(h, self.recurrent_kernel)
    return m + self.bias[1] if self.use_bias else m


@add_to_class(GRUCell)
def gate_weights(self, gate):
    """(W_g, U_g, b_g, bbar_g) for gate in 'z', 'r', 'h': views of columns of the fused weights
    kernel = [W_z|W_r|W_h] (input_dim, 3 units), recurrent_kernel = [U_z|U_r|U_h] (units, 3 units) and bias,
    (3 units,) with reset_after=False or (2, 3 units) with reset_after=True: row 0 [b_z|b_r|b_h], row 1 the
    recurrent biases [bbar_z|bbar_r|bbar_h]. bbar_g is None with reset_after=False; both biases are None with
    use_bias=False."""
    k = self.GATES.index(gate)
    cols = slice(k * self.units, (k + 1) * self.units)
    W_g, U_g = self.kernel[:, cols], self.recurrent_kernel[:, cols]
    if not self.use_bias:
        return W_g, U_g, None, None
    if self.reset_after:
        return W_g, U_g, self.bias[0, cols], self.bias[1, cols]
    return W_g, U_g, self.bias[cols], None


@add_to_class(GRUCell)
def input_part(self, gate, x_t):
    """x_t W_g + b_g for one gate, shape (batch, units)."""
    W_g, _, b_g, _ = self.gate_weights(gate)
    a = ops.matmul(x_t, W_g)
    return a if b_g is None else a + b_g


@add_to_class(GRUCell)
def recurrent_part(self, gate, h):
    """h U_g + bbar_g for one gate (no bbar_g with reset_after=False), shape (batch, units)."""
    _, U_g, _, bbar_g = self.gate_weights(gate)
    a = ops.matmul(h, U_g)
    return a if bbar_g is None else a + bbar_g


@add_to_class(GRUCell)
def get_config(self):
    return {**WithDropout.get_config(self), "units": self.units,  # WithDropout adds dropout and seed
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias, "reset_after": self.reset_after,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            **weight_options_config(self)}


def pinned_gru(W_h, U_h, b_h, z_bias, r_bias, reset_after):
    """A Recurrence(GRUCell) with candidate weights (W_h, U_h, b_h) and the gates z, r pinned by zero weights and
    the biases z_bias, r_bias; with reset_after=True the recurrent bias row is zero."""
    input_dim, units = W_h.shape
    layer = Recurrence(GRUCell(units, reset_after=reset_after), return_sequences=True, return_state=True)
    layer.build((None, None, input_dim))
    bias = np.concatenate([np.full(units, z_bias), np.full(units, r_bias), b_h]).astype("float32")  # [b_z|b_r|b_h]
    kernel = np.concatenate([np.zeros((input_dim, 2 * units)), W_h], axis=1)           # [0|0|W_h]
    recurrent_kernel = np.concatenate([np.zeros((units, 2 * units)), U_h], axis=1)     # [0|0|U_h]
    layer.set_weights([kernel, recurrent_kernel, np.stack([bias, 0 * bias]) if reset_after else bias])
    return layer
