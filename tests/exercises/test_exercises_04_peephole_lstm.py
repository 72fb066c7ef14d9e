"""The exercise checkers of notebook 04 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import keras
import numpy as np
import pytest
from keras import ops

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/04_peephole_lstm.ipynb")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def step_with(
    peek_i="p_i", peek_f="p_f", output_sees="c_t", after_sigmoid=False, use_peepholes=True, candidate_peek=False
):
    """A family of peephole steps: the right one, or one with a typical slip."""

    def peephole_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, p_i, p_f, p_o):
        p = {"p_i": p_i, "p_f": p_f, "p_o": p_o, None: 0 * p_i}
        if not use_peepholes:
            p = {name: 0 * p_i for name in p}
        z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=1)
        if after_sigmoid:
            i, f = sigmoid(z_i) + p[peek_i] * c_prev, sigmoid(z_f) + p[peek_f] * c_prev
        else:
            i, f = sigmoid(z_i + p[peek_i] * c_prev), sigmoid(z_f + p[peek_f] * c_prev)
        c_t = f * c_prev + i * np.tanh(z_c + (p["p_o"] * c_prev if candidate_peek else 0))
        seen = {"c_t": c_t, "c_prev": c_prev, None: 0 * c_t}[output_sees]
        o = sigmoid(z_o + p["p_o"] * seen)
        return o * np.tanh(c_t), c_t

    return peephole_step


def test_the_step_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_peephole_step"], step_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (step_with(use_peepholes=False), "plain LSTM's numbers"),
        (step_with(peek_i="p_f", peek_f="p_i"), "p_i and p_f are swapped"),
        (step_with(after_sigmoid=True), "added after the sigmoid"),
        (step_with(output_sees="c_prev"), "the output gate peeks at c_prev"),
        (step_with(output_sees=None), "the output gate has no peephole"),
        (step_with(candidate_peek=True), "c_t is off"),
        (step_with(peek_f=None), "c_t is off"),
        (lambda *args: (step_with()(*args)[0][:1], step_with()(*args)[1]), "expected h_t and c_t of shape"),
    ],
)
def test_peephole_step_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_peephole_step"], wrong)
    assert not passed and hint in out


def cell_state_gates_with(
    gates="c", output_gate="c_prev", candidate="h", tanh_c=True, tanh_candidate=True, read="hc", write="hc", output="h"
):
    """A family of CellStateGatesLSTMCell classes: the right one, or one with a typical slip."""

    class Cell(NB["LSTMCell"]):
        def call(self, inputs, states, training=None):
            h, c = states if read == "hc" else states[::-1]

            def z(gate, *sources):
                W, U, b = self.gate_weights(gate)
                return ops.matmul(inputs, W) + sum(ops.matmul(s, U) for s in sources) + b

            seen = {"c": [c], "h": [h], "h+c": [h, c]}[gates]
            i, f = ops.sigmoid(z("i", *seen)), ops.sigmoid(z("f", *seen))
            c_tilde = z("c", *{"h": [h], "c": [c]}[candidate])
            c_t = f * c + i * (ops.tanh(c_tilde) if tanh_candidate else c_tilde)
            o = ops.sigmoid(z("o", *(seen if output_gate == "c_prev" else [c_t])))
            h_t = o * (ops.tanh(c_t) if tanh_c else c_t)
            return (h_t if output == "h" else c_t), ([h_t, c_t] if write == "hc" else [c_t, h_t])

    return Cell


class Skeleton(NB["LSTMCell"]):
    """The exercise as handed out."""

    def call(self, inputs, states, training=None):
        raise NotImplementedError


class OneState(NB["LSTMCell"]):
    """Returns a single state where LSTMCell has two."""

    def call(self, inputs, states, training=None):
        h_t, _ = super().call(inputs, states)
        return h_t, [h_t]


def test_the_cell_family_is_right_by_default(capsys):
    passed, out = verdict(capsys, NB["check_cell_state_gates"], cell_state_gates_with())
    assert passed, out


def test_the_handed_out_skeleton_is_not_attempted(capsys):
    passed, out = verdict(capsys, NB["check_cell_state_gates"], Skeleton)
    assert not passed and "not attempted yet. Hint:" in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (NB["LSTMCell"], "the plain LSTM's numbers"),
        (cell_state_gates_with(gates="h"), "the plain LSTM's numbers"),
        (cell_state_gates_with(gates="h+c"), "as well as c_{t-1}"),
        (cell_state_gates_with(candidate="c"), "the candidate reads c_{t-1} too"),
        (cell_state_gates_with(output_gate="c_t"), "the output gate reads the new c_t"),
        (cell_state_gates_with(read="ch"), "the states are read in the wrong order"),
        (cell_state_gates_with(write="ch"), "the new states are returned in the wrong order"),
        (cell_state_gates_with(read="ch", write="ch"), "the states are swapped"),
        (cell_state_gates_with(tanh_c=False), "the tanh on the cell state is missing"),
        (cell_state_gates_with(tanh_candidate=False), "the candidate's tanh is missing"),
        (cell_state_gates_with(output="c"), "the numbers are off"),
        (NB["PeepholeLSTMCell"], "expected LSTMCell's weights"),
        (keras.layers.LSTMCell, "the plain LSTM's numbers"),
        (keras.layers.GRUCell, "a subclass of LSTMCell"),
        (OneState, "keras.layers.RNN could not run the cell"),
    ],
)
def test_cell_state_gates_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_cell_state_gates"], wrong)
    assert not passed and hint in out


def gate_with(seen="c_t", peephole="p_o", squash=True):
    """A family of output gates: the right one, or one with a typical slip."""

    def output_gate(cell, x_t, h_prev, c_prev, c_t):
        z = cell.pre_activation("o", x_t, h_prev)
        if peephole is not None:
            z = z + getattr(cell, peephole) * {"c_t": c_t, "c_prev": c_prev}[seen]
        return cell.recurrent_activation(z) if squash else z

    return output_gate


def test_the_gate_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_output_gate"], gate_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (gate_with(seen="c_prev"), "peeks at c_prev"),
        (gate_with(squash=False), "that is the pre-activation"),
        (gate_with(peephole=None), "no peephole"),
        (gate_with(peephole="p_f"), "its own peephole vector"),
        (gate_with(peephole="p_i"), "its own peephole vector"),
        (
            lambda cell, x_t, h_prev, c_prev, c_t: ops.sigmoid(cell.pre_activation("i", x_t, h_prev) + cell.p_o * c_t),
            "the numbers are off",
        ),
        (lambda cell, x_t, h_prev, c_prev, c_t: gate_with()(cell, x_t, h_prev, c_prev, c_t)[0], "expected shape"),
    ],
)
def test_output_gate_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_output_gate"], wrong)
    assert not passed and hint in out
