"""The exercise checkers of notebook 03 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""
import numpy as np
import pytest
from keras import ops

from conftest import notebook_namespace
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


@pytest.mark.parametrize("wrong,hint", [
    (step_with(order="fico"), "input and forget gates are swapped"),
    (step_with(candidate=sigmoid), "the candidate uses tanh"),
    (step_with(squash_c=lambda c: c), "the tanh is missing"),
    (step_with(order="icfo"), "c_t is off"),
    (lambda *args: (step_with()(*args)[0][:1], step_with()(*args)[1]), "expected h_t and c_t of shape"),
])
def test_lstm_step_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_lstm_step"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize("wrong,hint", [
    (lambda i, u: u * (i + u + 1), "that is one gate"),
    (lambda i, u: 4 * u * (i + u), "the four biases are missing"),
    (lambda i, u: 4 * (i * u + u * u) + u, "each gate has W_g"),
])
def test_param_count_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_lstm_params"], wrong)
    assert not passed and hint in out


def gate_blocks(cell, gate):
    return [ops.convert_to_numpy(w) for w in cell.gate_weights(gate)[:2]]


@pytest.mark.parametrize("wrong,hint", [
    (lambda cell, g: np.concatenate(gate_blocks(cell, g)[::-1], axis=0), "transpose it"),
    (lambda cell, g: np.concatenate(gate_blocks(cell, g), axis=0).T, "U_g comes first"),
    (lambda cell, g: np.concatenate(gate_blocks(cell, "f")[::-1], axis=0).T, "is off"),
    (lambda cell, g: gate_blocks(cell, g)[0], "expected shape"),
])
def test_textbook_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_textbook_matrix"], wrong)
    assert not passed and hint in out
