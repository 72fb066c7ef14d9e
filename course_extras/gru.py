"""07 · The GRU: two gates, one state: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/07_gru.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import _exercise_result


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
