"""The exercise checkers of notebook 01 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import numpy as np
import pytest
from keras import ops

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/01_simple_rnn.ipynb")
Recurrence = NB["Recurrence"]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda x, h, W, U, b: np.tanh(x @ W + h @ U + b), "that is the tanh step"),
        (lambda x, h, W, U, b: np.maximum(0, x @ W + h @ U), "bias b is missing"),
        (lambda x, h, W, U, b: x @ W + h @ U + b, "negative"),
        (lambda x, h, W, U, b: np.maximum(0, x @ W + x @ W @ U + b), "numbers are off"),
        (lambda x, h, W, U, b: np.maximum(0, x @ W + h @ U + b)[0], "expected shape"),
    ],
)
def test_relu_step_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_relu_rnn_step"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda i, u, use_bias=True: i * u + (u if use_bias else 0), "you left out U"),
        (lambda i, u, use_bias=True: i * u + u * u, "you left out the bias"),
        (lambda i, u, use_bias=True: i * u + u * u + u, "with use_bias=False there is no b"),
        (lambda i, u, use_bias=True: (i + u) * u * 2, "W is input_dim × units"),
    ],
)
def test_param_count_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_simple_rnn_params"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda cell, x: Recurrence(cell, return_sequences=True, go_backwards=True)(x), "reading order"),
        (lambda cell, x: ops.flip(Recurrence(cell, return_sequences=True, go_backwards=True)(x), axis=0), "batch axis"),
        (lambda cell, x: Recurrence(cell, go_backwards=True)(x), "expected shape"),
        (lambda cell, x: Recurrence(cell, return_sequences=True)(x), "numbers are off"),
    ],
)
def test_backward_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_backward_in_time_order"], wrong)
    assert not passed and hint in out
