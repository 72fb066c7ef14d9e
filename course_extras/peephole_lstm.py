"""04 · Peephole connections: gates that see the cell: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/04_peephole_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import _exercise_result
from rnn_course.peephole_lstm import PeepholeLSTMCell


#@title Exercise checkers (run this cell; no need to read it)
def check_peephole_step(peephole_step):
    """Exercise 1: peephole_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, p_i, p_f, p_o) -> (h_t, c_t)."""
    rng = np.random.default_rng(21)
    x_t, h_prev, c_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), 2 * rng.normal(size=(2, 4))
    kernel, recurrent_kernel, bias = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), rng.normal(size=16)
    p_i, p_f, p_o = rng.normal(size=(3, 4))
    sig = lambda z: 1 / (1 + np.exp(-z))
    zi, zf, zc, zo = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=1)
    c_want = sig(zf + p_f * c_prev) * c_prev + sig(zi + p_i * c_prev) * np.tanh(zc)
    h_want = sig(zo + p_o * c_want) * np.tanh(c_want)
    try:
        h_t, c_t = (np.asarray(a) for a in peephole_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, p_i, p_f, p_o))
    except NotImplementedError:
        return _exercise_result(1, "not attempted yet. Hint: start from the LSTM step of notebook 03; three of its "
                                   "four pre-activations get a peephole term.")
    c_plain = sig(zf) * c_prev + sig(zi) * np.tanh(zc)
    if h_t.shape != h_want.shape or c_t.shape != c_want.shape:
        problem = f"expected h_t and c_t of shape (batch, units) = {h_want.shape}, got {h_t.shape} and {c_t.shape}."
    elif np.allclose(c_t, c_plain) and np.allclose(h_t, sig(zo) * np.tanh(c_plain)):
        problem = "these are the plain LSTM's numbers: the peephole terms p_i * c, p_f * c, p_o * c are missing."
    elif np.allclose(c_t, sig(zf + p_i * c_prev) * c_prev + sig(zi + p_f * c_prev) * np.tanh(zc)):
        problem = "p_i and p_f are swapped: p_i belongs to the input gate, p_f to the forget gate."
    elif np.allclose(c_t, (sig(zf) + p_f * c_prev) * c_prev + (sig(zi) + p_i * c_prev) * np.tanh(zc)):
        problem = "the peephole term is added after the sigmoid; it is one more term of the pre-activation, inside the sigmoid."
    elif not np.allclose(c_t, c_want):
        problem = "c_t is off. Hint: i and f peek at c_prev inside their sigmoids; the candidate has no peephole (section 1)."
    elif np.allclose(h_t, sig(zo + p_o * c_prev) * np.tanh(c_want)):
        problem = "c_t is right, but the output gate peeks at c_prev; it is computed after the update and sees the new c_t."
    elif np.allclose(h_t, sig(zo) * np.tanh(c_want)):
        problem = "c_t is right, but the output gate has no peephole: it sees the new c_t through p_o, inside its sigmoid."
    elif not np.allclose(h_t, h_want):
        problem = "c_t is right, h_t is off. Hint: the output gate sees the new c_t through p_o; h_t is that gate times tanh of c_t."
    else:
        problem = None
    return _exercise_result(1, problem)


def check_cell_state_gates(CellStateGatesLSTMCell):
    """Exercise 2: CellStateGatesLSTMCell(units), an LSTMCell whose gates i, f, o read c_{t-1} through U_i, U_f, U_o
    instead of h_{t-1} (the candidate still reads h_{t-1}); run in keras.layers.RNN, compared with NumPy."""
    rng = np.random.default_rng(23)
    x = rng.normal(size=(2, 5, 3)).astype("float32")                                     # (batch, time, input_dim)
    weights = [rng.normal(scale=0.5, size=shape).astype("float32") for shape in [(3, 16), (4, 16), (16,)]]
    sig = lambda z: 1 / (1 + np.exp(-z))

    def numpy_run(gates="c", output_gate="c_prev", candidate="h", tanh_c=True, tanh_candidate=True, read="hc", write="hc"):
        """The equations in NumPy, or with one typical slip; returns h_1..h_T and the two final states as returned."""
        W, U, b = (np.split(w.astype("float64"), 4, axis=-1) for w in weights)            # per gate, order i, f, c, o
        stored, outputs = [np.zeros((2, 4)), np.zeros((2, 4))], []
        for t in range(x.shape[1]):
            h, c = stored if read == "hc" else stored[::-1]
            z = lambda g, *sources: x[:, t] @ W[g] + sum(s @ U[g] for s in sources) + b[g]
            seen = {"c": [c], "h": [h], "h+c": [h, c]}[gates]
            i, f = sig(z(0, *seen)), sig(z(1, *seen))
            c_tilde = z(2, *{"h": [h], "c": [c]}[candidate])
            c_t = f * c + i * (np.tanh(c_tilde) if tanh_candidate else c_tilde)
            o = sig(z(3, *(seen if output_gate == "c_prev" else [c_t])))
            h_t = o * (np.tanh(c_t) if tanh_c else c_t)
            stored = [h_t, c_t] if write == "hc" else [c_t, h_t]
            outputs.append(h_t)
        return [np.stack(outputs, axis=1), *stored]

    try:
        cell = CellStateGatesLSTMCell(4)
        if "LSTMCell" not in [base.__name__ for base in type(cell).__mro__]:  # by name: LSTMCell's cell may be rerun
            return _exercise_result(2, "make the class a subclass of LSTMCell, so that its weights and helpers come "
                                       "from LSTMCell and only call is yours.")
        layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        layer.build((None, 5, 3))
        shapes = [tuple(w.shape) for w in layer.get_weights()]
        if shapes != [w.shape for w in weights]:
            return _exercise_result(2, f"expected LSTMCell's weights kernel, recurrent_kernel, bias of shapes "
                                       f"{[w.shape for w in weights]}, got {shapes}: override only call, keep LSTMCell's build.")
        layer.set_weights(weights)
        got = [ops.convert_to_numpy(a) for a in layer(x)]
    except NotImplementedError:
        return _exercise_result(2, "not attempted yet. Hint: only the gates change what they read; start from "
                                   "LSTMCell's call.")
    except Exception as error:
        return _exercise_result(2, f"keras.layers.RNN could not run the cell ({type(error).__name__}: "
                                   f"{str(error).splitlines()[0][:150]}). Hint: call returns the output h_t and the "
                                   "new states [h_t, c_t], as LSTMCell's call does.")
    want = numpy_run()
    if len(got) != 3 or [a.shape for a in got] != [a.shape for a in want]:
        return _exercise_result(2, f"expected h_1..h_T, h_T and c_T of shapes {[a.shape for a in want]}, "
                                   f"got {[a.shape for a in got]}.")
    close = lambda run: all(np.allclose(a, b, atol=1e-5) for a, b in zip(got, run))
    slips = [
        (dict(), None),
        (dict(gates="h"), "these are the plain LSTM's numbers: the gates still read h_{t-1}; here i, f and o "
                          "read c_{t-1} through U_i, U_f, U_o instead."),
        (dict(gates="h+c"), "the gates read h_{t-1} as well as c_{t-1}: in this cell c_{t-1} replaces h_{t-1} "
                            "in i, f and o, it is not added to it."),
        (dict(candidate="c"), "the candidate reads c_{t-1} too; only the gates i, f, o switch to c_{t-1}, the "
                              "candidate keeps h_{t-1} U_c."),
        (dict(output_gate="c_t"), "the output gate reads the new c_t; in this cell all three gates read c_{t-1}, "
                                  "the output gate included (unlike the peephole output gate)."),
        (dict(read="ch"), "the states are read in the wrong order: LSTMCell's states are [h, c]."),
        (dict(write="ch"), "the new states are returned in the wrong order: LSTMCell's states are [h, c]."),
        (dict(read="ch", write="ch"), "the states are swapped: they come in and go out as [h, c], in that order."),
        (dict(tanh_c=False), "the tanh on the cell state is missing: h_t is o_t times tanh(c_t)."),
        (dict(tanh_candidate=False), "the candidate's tanh is missing: it is squashed by the cell's activation."),
    ]
    for slip, problem in slips:
        if close(numpy_run(**slip)):
            return _exercise_result(2, problem)
    return _exercise_result(2, "the numbers are off. Hint: check each line against the equations above, and see "
                               "Hint 2 for which state each pre-activation reads.")


def check_output_gate(output_gate):
    """Exercise 3: output_gate(cell, x_t, h_prev, c_prev, c_t) -> o_t of a built PeepholeLSTMCell."""
    rng = np.random.default_rng(22)
    cell = PeepholeLSTMCell(4, peephole_initializer="random_normal", bias_initializer="random_normal")
    cell.build((None, 3))
    x_t, h_prev = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 4)).astype("float32")
    c_prev, c_t = 2 * rng.normal(size=(2, 4, 2)).astype("float32").transpose(2, 0, 1)
    sig = lambda z: ops.convert_to_numpy(ops.sigmoid(z))
    z_o = ops.convert_to_numpy(cell.pre_activation("o", x_t, h_prev))
    p = {name: ops.convert_to_numpy(getattr(cell, name)) for name in ("p_i", "p_f", "p_o")}
    try:
        got = np.asarray(ops.convert_to_numpy(output_gate(cell, x_t, h_prev, c_prev, c_t)))
    except NotImplementedError:
        return _exercise_result(3, "not attempted yet. Hint: the output gate comes after the belt update; which cell state does it see?")
    if got.shape != z_o.shape:
        problem = f"expected shape (batch, units) = {z_o.shape}, got {got.shape}."
    elif np.allclose(got, sig(z_o + p["p_o"] * c_prev), atol=1e-5):
        problem = "the output gate peeks at c_prev; it comes after the belt update and sees the new c_t."
    elif np.allclose(got, z_o + p["p_o"] * c_t, atol=1e-5):
        problem = "that is the pre-activation: apply cell.recurrent_activation (the sigmoid) to it."
    elif np.allclose(got, sig(z_o), atol=1e-5):
        problem = "no peephole: the output gate also sees the cell state, through its own peephole vector, inside the sigmoid."
    elif any(np.allclose(got, sig(z_o + p[name] * c_t), atol=1e-5) for name in ("p_i", "p_f")):
        problem = "each gate has its own peephole vector; the output gate's is cell.p_o."
    elif not np.allclose(got, sig(z_o + p["p_o"] * c_t), atol=1e-5):
        problem = ("the numbers are off. Hint: the output gate's pre-activation plus its peephole term on c_t, "
                   "through the cell's recurrent_activation (see Hint 2).")
    else:
        problem = None
    return _exercise_result(3, problem)
