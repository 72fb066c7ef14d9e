"""The exercise checkers of notebook 02 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import math

import numpy as np
import pytest

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/02_vanishing_gradients.ipynb")


def z(x, h, W, U, b):
    return x @ W + h @ U + b


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda x, h, W, U, b: np.broadcast_to(U.T, (len(x), *U.shape)), "that is Uᵀ alone"),
        (lambda x, h, W, U, b: (z(x, h, W, U, b) > 0)[:, :, None] * U, "U is not transposed"),
        (lambda x, h, W, U, b: (z(x, h, W, U, b) > 0)[:, None, :] * U.T, "scales the columns"),
        (lambda x, h, W, U, b: (1 - np.maximum(0, z(x, h, W, U, b)) ** 2)[:, :, None] * U.T, "tanh derivative"),
        (lambda x, h, W, U, b: (z(x, h, W, U, b)[0] > 0)[:, None] * U.T, "one (units, units) matrix per sequence"),
        (lambda x, h, W, U, b: (z(x, h, W, U, b) > 1)[:, :, None] * U.T, "numbers are off"),
    ],
)
def test_relu_jacobian_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_relu_step_jacobian"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda s, t=1e-3: None if s >= 1 else math.floor(math.log(t) / math.log(s)), "off by one"),
        (lambda s, t=1e-3: None if s >= 1 else math.log(t) / math.log(s), "whole number"),
        (lambda s, t=1e-3: math.ceil(math.log(t) / math.log(s)), "raised ZeroDivisionError"),
        (lambda s, t=1e-3: 0 if s >= 1 else math.ceil(math.log(t) / math.log(s)), "never falls"),
        (lambda s, t=1e-3: None if s >= 1 else math.ceil(math.log10(t) / math.log(s)), "same logarithm"),
    ],
)
def test_steps_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_steps_until_below"], wrong)
    assert not passed and hint in out


def global_norm(grads):
    return np.sqrt(sum(np.sum(g**2) for g in grads))


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda grads, m: [g * min(1.0, m / np.linalg.norm(g)) for g in grads], "clipped by its own norm"),
        (lambda grads, m: [np.clip(g, -m, m) for g in grads], "clips every element"),
        (lambda grads, m: [g * m / global_norm(grads) for g in grads], "must come back unchanged"),
        (lambda grads, m: [g * min(1.0, m / global_norm(grads) ** 2) for g in grads], "numbers are off"),
        (lambda grads, m: np.concatenate([g.ravel() for g in grads]), "one array per gradient"),
    ],
)
def test_global_norm_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_clip_by_global_norm"], wrong)
    assert not passed and hint in out
