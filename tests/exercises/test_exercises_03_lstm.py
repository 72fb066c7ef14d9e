"""The exercise checkers of notebook 03 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import numpy as np
import pytest
from keras import ops

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/03_lstm.ipynb")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def step_with(order="ifco", candidate=np.tanh, squash_c=np.tanh):
    """A family of LSTM steps: the right one, or one with a typical slip."""

    def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
        blocks = dict(zip(order, np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=1)))
        c_t = sigmoid(blocks["f"]) * c_prev + sigmoid(blocks["i"]) * candidate(blocks["c"])
        return sigmoid(blocks["o"]) * squash_c(c_t), c_t

    return lstm_step


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (step_with(order="fico"), "input and forget gates are swapped"),
        (step_with(candidate=sigmoid), "the candidate uses tanh"),
        (step_with(squash_c=lambda c: c), "the tanh is missing"),
        (step_with(order="icfo"), "c_t is off"),
        (lambda *args: (step_with()(*args)[0][:1], step_with()(*args)[1]), "expected h_t and c_t of shape"),
    ],
)
def test_lstm_step_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_lstm_step"], wrong)
    assert not passed and hint in out


def cifg_cell(write="1 - f", keep="f", squash_c=True, states_in="hc", states_out="hc", blocks=3, call=True):
    """A family of CIFG cell classes: the right one, or one with a typical slip."""
    keras, ops = NB["keras"], NB["ops"]

    class Cell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]
            self.output_size = units

        def build(self, input_shape):
            n = blocks * self.units
            self.kernel = self.add_weight(shape=(input_shape[-1], n), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, n), name="recurrent_kernel")
            self.bias = self.add_weight(shape=(n,), name="bias")

        def call(self, inputs, states, training=None):
            if not call:
                raise NotImplementedError
            h_prev, c_prev = states if states_in == "hc" else states[::-1]
            z = ops.matmul(inputs, self.kernel) + ops.matmul(h_prev, self.recurrent_kernel) + self.bias
            z_f, z_c, z_o = ops.split(z, 3, axis=-1)
            f, c_tilde, o = ops.sigmoid(z_f), ops.tanh(z_c), ops.sigmoid(z_o)
            gate = {"f": f, "1 - f": 1 - f}
            c_t = gate[keep] * c_prev + gate[write] * c_tilde
            h_t = o * (ops.tanh(c_t) if squash_c else c_t)
            return h_t, {"hc": [h_t, c_t], "ch": [c_t, h_t], "h": [h_t]}[states_out]

    return Cell


def test_cifg_checker_accepts_the_right_cell(capsys):
    passed, out = verdict(capsys, NB["check_cifg_cell"], cifg_cell())
    assert passed, out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (cifg_cell(states_out="ch"), "h and c are swapped between steps"),
        (cifg_cell(states_in="ch"), "h and c are swapped between steps"),
        (cifg_cell(states_in="ch", states_out="ch"), "the states come back as [c_t, h_t]"),
        (cifg_cell(write="f"), "the gates are not coupled"),
        (cifg_cell(write="f", keep="1 - f"), "the coupling is the wrong way round"),
        (cifg_cell(squash_c=False), "the tanh on c_t is missing"),
        (cifg_cell(blocks=4), "that is the LSTM's 4·units columns"),
        (cifg_cell(call=False), "call still raises NotImplementedError"),
        (cifg_cell(states_out="h"), "call must return two things"),
        (cifg_cell(keep="1 - f", write="1 - f"), "the numbers are off"),
    ],
)
def test_cifg_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_cifg_cell"], wrong)
    assert not passed and hint in out


def test_cifg_checker_reports_an_error_in_call(capsys):
    class Broken(cifg_cell()):
        def call(self, inputs, states, training=None):
            raise ValueError("shapes do not match")

    passed, out = verdict(capsys, NB["check_cifg_cell"], Broken)
    assert not passed and "one step of your cell failed (ValueError: shapes do not match)" in out


def gate_blocks(cell, gate):
    return [ops.convert_to_numpy(w) for w in cell.gate_weights(gate)[:2]]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda cell, g: np.concatenate(gate_blocks(cell, g)[::-1], axis=0), "transpose it"),
        (lambda cell, g: np.concatenate(gate_blocks(cell, g), axis=0).T, "U_g comes first"),
        (lambda cell, g: np.concatenate(gate_blocks(cell, "f")[::-1], axis=0).T, "is off"),
        (lambda cell, g: gate_blocks(cell, g)[0], "expected shape"),
    ],
)
def test_textbook_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_textbook_matrix"], wrong)
    assert not passed and hint in out
