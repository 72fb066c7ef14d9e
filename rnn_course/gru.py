"""07 · The GRU: two gates, one state

Generated from notebooks/07_gru.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import add_to_class, check_feature_size, check_step_input, take_weight_options, weight_options, weight_options_config, Recurrence, _exercise_result
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


#@title Exercise checkers (run this cell; no need to read it)
def _numpy_gru_sequence(x, kernel, recurrent_kernel, bias, reset_after=True, keep="z"):
    """Reference GRU over x (batch, time, input_dim) in NumPy; keep='z' is Keras's convention
    (h = z h_prev + (1 - z) h_hat), keep='1-z' the other one. Returns every h_t (batch, time, units)."""
    sig = lambda a: 1 / (1 + np.exp(-a))
    units = recurrent_kernel.shape[0]
    b, bbar = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    h, hs = np.zeros((x.shape[0], units)), []
    for t in range(x.shape[1]):
        xw, hu = x[:, t] @ kernel + b, h @ recurrent_kernel + bbar
        z, r = sig(xw[:, :units] + hu[:, :units]), sig(xw[:, units:2 * units] + hu[:, units:2 * units])
        rec_h = r * hu[:, 2 * units:] if reset_after else (r * h) @ recurrent_kernel[:, 2 * units:]
        h_hat = np.tanh(xw[:, 2 * units:] + rec_h)
        h = z * h + (1 - z) * h_hat if keep == "z" else (1 - z) * h + z * h_hat
        hs.append(h)
    return np.stack(hs, axis=1)


def check_gru_step(gru_step):
    """Exercise 1: gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after) -> h_t, as keras.layers.GRU."""
    rng = np.random.default_rng(21)
    x_t, h_prev = rng.normal(size=(2, 3)), rng.normal(scale=0.5, size=(2, 4))
    kernel, recurrent_kernel = rng.normal(size=(3, 12)), rng.normal(size=(4, 12))
    U_h, sig = recurrent_kernel[:, 8:], lambda a: 1 / (1 + np.exp(-a))
    for reset_after, bias in [(False, rng.normal(size=12)), (True, rng.normal(size=(2, 12)))]:
        b, bbar = (bias[0], bias[1]) if reset_after else (bias, np.zeros(12))
        xw, hu = x_t @ kernel + b, h_prev @ recurrent_kernel + bbar  # (batch, 12): blocks z, r, h
        z, r = sig(xw[:, :4] + hu[:, :4]), sig(xw[:, 4:8] + hu[:, 4:8])

        def h_t(z=z, r=r, inside=None, squash=np.tanh, keep="z"):
            """h_t from the gates and the recurrent term inside the candidate (the right ones by default)."""
            if inside is None:
                inside = r * hu[:, 8:] if reset_after else (r * h_prev) @ U_h
            h_hat = squash(xw[:, 8:] + inside)
            return z * h_prev + (1 - z) * h_hat if keep == "z" else (1 - z) * h_prev + z * h_hat

        slips = [  # (what to say, a typical wrong h_t)
            ("the sign convention is flipped: Keras keeps the share z_t of h_{t-1} and writes 1 - z_t of the candidate (section 1).", h_t(keep="1-z")),
            ("z and r are swapped. Keras's order of the column blocks is z, r, h.", h_t(z=r, r=z)),
            ("the candidate h_hat uses tanh, not the sigmoid.", h_t(squash=sig)),
        ]
        if reset_after:
            z0, r0 = sig(xw[:, :4] + hu[:, :4] - bbar[:4]), sig(xw[:, 4:8] + hu[:, 4:8] - bbar[4:8])
            slips += [
                ("with reset_after=True, r multiplies (h_prev U_h + bbar_h), after the product.", h_t(inside=(r * h_prev) @ U_h + bbar[8:])),
                ("with reset_after=True, r multiplies (h_prev U_h + bbar_h), after the product.", h_t(inside=(r * h_prev) @ U_h)),
                ("bbar_h belongs inside the bracket that r multiplies: r_t ⊙ (h_{t-1} U_h + bbar_h).", h_t(inside=r * (h_prev @ U_h) + bbar[8:])),
                ("the second bias row (the recurrent biases, bias[1]) is missing.", h_t(z=z0, r=r0, inside=r0 * (h_prev @ U_h))),
            ]
        else:
            slips.append(("with reset_after=False, r multiplies h_prev before the product: (r_t ⊙ h_{t-1}) U_h.", h_t(inside=r * (h_prev @ U_h))))
        want = h_t()
        try:
            got = np.asarray(gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after))
        except NotImplementedError:
            return _exercise_result(1, "not attempted yet. Hint: one fused product for the input side, one for the recurrent side, each cut into the blocks z, r, h.")
        if got.shape != want.shape:
            return _exercise_result(1, f"expected h_t of shape (batch, units) = {want.shape}, got {got.shape}.")
        if not np.allclose(got, want):
            said = [hint for hint, wrong in slips if np.allclose(got, wrong)]
            hint = said[0] if said else "h_t is off. Hint: follow the equations of sections 1 and 2 block by block (see Hint 2)."
            return _exercise_result(1, f"with reset_after={reset_after}: {hint}")
    return _exercise_result(1, None)


def _numpy_mgu_sequence(x, kernel, recurrent_kernel, bias, reset="before", keep="1-f", order="fh", squash=np.tanh,
                        carry=True):
    """Reference minimal gated unit over x (batch, time, input_dim) in NumPy, fused weights in blocks f, h:
    f = sigmoid(x_t W_f + h_prev U_f + b_f), h_hat = tanh(x_t W_h + (f * h_prev) U_h + b_h),
    h_t = (1 - f) h_prev + f h_hat. The keywords make the typical slips. Returns every h_t (batch, time, units)."""
    sig = lambda a: 1 / (1 + np.exp(-a))
    units = recurrent_kernel.shape[0]
    f_cols, h_cols = slice(0, units), slice(units, 2 * units)
    if order == "hf":
        f_cols, h_cols = h_cols, f_cols
    U_h = recurrent_kernel[:, h_cols]
    h, hs = np.zeros((x.shape[0], units)), []
    for t in range(x.shape[1]):
        xw = x[:, t] @ kernel + bias
        f = sig(xw[:, f_cols] + h @ recurrent_kernel[:, f_cols])
        inside = {"before": (f * h) @ U_h, "after": f * (h @ U_h), "none": h @ U_h}[reset]
        h_hat = squash(xw[:, h_cols] + inside)
        h_t = (1 - f) * h + f * h_hat if keep == "1-f" else f * h + (1 - f) * h_hat
        hs.append(h_t)
        h = h_t if carry else h
    return np.stack(hs, axis=1)


def check_minimal_gru_cell(MinimalGRUCell):
    """Exercise 2: MinimalGRUCell(units), the minimal gated unit as a Keras cell, run by keras.layers.RNN and
    compared with the NumPy reference above; weights kernel (input_dim, 2 units), recurrent_kernel (units, 2 units),
    bias (2 units,), blocks f, h."""
    rng = np.random.default_rng(23)
    input_dim, units = 3, 4
    x = rng.normal(size=(2, 5, input_dim)).astype("float32")  # (batch, time, input_dim)
    weights = [rng.normal(scale=0.8, size=s).astype("float32") for s in [(input_dim, 2 * units), (units, 2 * units), (2 * units,)]]
    want = _numpy_mgu_sequence(x, *weights)                    # (batch, time, units)
    try:
        cell = MinimalGRUCell(units)
        layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        layer.build((None, None, input_dim))
        shapes = [tuple(w.shape) for w in cell.weights]
        if shapes != [w.shape for w in weights]:
            if any(s[-1] == 3 * units for s in shapes):
                why = "that is the GRU's three blocks; the MGU has two, f and h."
            elif (2, 2 * units) in shapes:
                why = "one bias row is enough: f acts on h_{t-1} before U_h, as in the GRU's reset_after=False."
            else:
                why = "make them in this order in build, each with 2 · units columns (blocks f, h)."
            return _exercise_result(2, f"expected the weights kernel {weights[0].shape}, recurrent_kernel "
                                       f"{weights[1].shape}, bias {weights[2].shape}, got {shapes}: {why}")
        layer.set_weights(weights)
        outputs, state = layer(x)
    except NotImplementedError:
        return _exercise_result(2, "not attempted yet. Hint: start from the notebook's GRUCell: one block fewer, "
                                   "and one gate that does the work of two.")
    except Exception as error:
        import re  # Keras's error text, without its colour codes and its list of arguments
        said = re.sub(r"\x1b\[[0-9;]*m|Exception encountered when calling [\w.]+\(\)\.", "", str(error))
        said = " ".join(said.split("Arguments received")[0].split())[:200]
        return _exercise_result(2, f"keras.layers.RNN could not run your cell ({type(error).__name__}: {said}). "
                                   "Hint: states arrives as a list, so h_{t-1} is its first entry; call returns "
                                   "h_t and the new state, h_t in a list.")
    outputs = ops.convert_to_numpy(outputs)
    state = ops.convert_to_numpy(state[0] if isinstance(state, (list, tuple)) else state)
    if outputs.shape != want.shape or state.shape != want[:, -1].shape:
        return _exercise_result(2, f"expected outputs of shape (batch, time, units) = {want.shape} and a final state "
                                   f"of shape {want[:, -1].shape}, got {outputs.shape} and {state.shape}.")
    close = lambda a, b: np.max(np.abs(a - b)) < 1e-5
    if close(outputs, want) and close(state, want[:, -1]):
        return _exercise_result(2, None)
    if close(state, want[:, -1]):
        return _exercise_result(2, "the final state is right but the outputs are not: the MGU's output is h_t itself, "
                                   "the same tensor as the new state.")
    sig = lambda a: 1 / (1 + np.exp(-a))
    slips = [  # (what to say, a typical wrong sequence)
        ("f scales h_{t-1} before the product: the candidate sees (f_t ⊙ h_{t-1}) U_h, not f_t ⊙ (h_{t-1} U_h).",
         dict(reset="after")),
        ("the candidate ignores f: in the MGU the one gate also does the reset gate's job, (f_t ⊙ h_{t-1}) U_h.",
         dict(reset="none")),
        ("f and 1 - f are swapped in the update: in the MGU f_t is the share written, so h_t keeps (1 - f_t) of "
         "h_{t-1}. That is the opposite of Keras's z_t (see the text above the exercise).", dict(keep="f")),
        ("the blocks are swapped: the first units columns of each weight belong to f, the next units to h.",
         dict(order="hf")),
        ("the candidate h_hat uses tanh, not the sigmoid.", dict(squash=sig)),
        ("every step starts again from zero: return h_t as the new state, so that the next step gets it.",
         dict(carry=False)),
    ]
    said = [hint for hint, slip in slips if close(outputs, _numpy_mgu_sequence(x, *weights, **slip))]
    hint = said[0] if said else (f"the outputs are off (max |Δ| = {np.max(np.abs(outputs - want)):.2g}). "
                                 "Hint: check the three equations one at a time (see Hint 2).")
    return _exercise_result(2, hint)


def check_to_keras_convention(to_keras_convention):
    """Exercise 3: weights of a '(1 - z) h_prev + z h_hat' GRU -> weights that make keras.layers.GRU compute the same."""
    rng = np.random.default_rng(22)
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    theirs = [rng.normal(scale=0.7, size=s).astype("float32") for s in [(3, 12), (4, 12), (2, 12)]]
    want = _numpy_gru_sequence(x, *theirs, keep="1-z")
    try:
        got = [np.asarray(w, dtype="float32") for w in to_keras_convention(*(w.copy() for w in theirs))]
    except NotImplementedError:
        return _exercise_result(3, "not attempted yet. Hint: Keras's z_t must be the text's 1 - z_t; section 1 says how weights give that.")
    if [w.shape for w in got] != [w.shape for w in theirs]:
        return _exercise_result(3, f"return [kernel, recurrent_kernel, bias] with shapes {[w.shape for w in theirs]}, "
                                   f"got {[w.shape for w in got]}.")
    layer = keras.layers.GRU(4, return_sequences=True)
    layer.build((None, None, 3))
    layer.set_weights(got)
    if np.allclose(ops.convert_to_numpy(layer(x)), want, atol=1e-4):
        return _exercise_result(3, None)
    flipped = lambda blocks: [np.concatenate([-w[..., k * 4:(k + 1) * 4] if k in blocks else w[..., k * 4:(k + 1) * 4]
                                              for k in range(3)], axis=-1) for w in theirs]
    if all(np.allclose(g, w) for g, w in zip(got, theirs)):
        problem = "these are the weights unchanged, so Keras keeps what the other convention updates. Negate the update gate."
    elif all(np.allclose(g, w) for g, w in zip(got, flipped({0, 1, 2}))):
        problem = "you negated all three blocks; only the update gate's block (the first units columns) changes."
    elif all(np.allclose(g, w) for g, w in zip(got, flipped({1}))):
        problem = "you negated the reset gate's block; the update gate z is the first block of units columns."
    elif all(np.allclose(g, w) for g, w in zip(got[:2], flipped({0})[:2])):
        problem = "the kernels are right, but the bias of the update gate (both rows) must be negated too."
    else:
        problem = "Keras's output does not match. Hint: since sigmoid(-a) = 1 - sigmoid(a), negate W_z, U_z and b_z (see Hint 2)."
    return _exercise_result(3, problem)
