"""The exercise checkers of notebook 05 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import numpy as np
import pytest

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/05_stacked_lstm.ipynb")
Recurrence = NB["Recurrence"]


def experiment(
    seeds=(10, 11, 12), margin=0.02, a=(0.80, 0.85, 0.85), b=(0.81, 0.86, 0.84), conclusion="the rule's", **changes
):
    """A depth_experiment that returns made-up numbers at once (the checker only reads what it returns); the conclusion
    defaults to what the rule says about them, so every variant is right unless it changes one thing."""

    def depth_experiment():
        result = {
            "seeds": seeds,
            "margin": margin,
            "A": dict(zip(seeds, a)),
            "B": dict(zip(seeds, b)),
            "conclusion": rule(a, b, margin) if conclusion == "the rule's" else conclusion,
        }
        result.update(changes)
        return result

    return depth_experiment


def rule(a, b, margin):
    """The exercise's decision rule, written again here: mean ahead by more than the margin, and at least as good on
    all seeds but at most one."""
    a, b, n = np.array(a), np.array(b), len(a)
    if b.mean() - a.mean() > margin and np.sum(b >= a) >= n - 1:
        return "B is better"
    if a.mean() - b.mean() > margin and np.sum(a >= b) >= n - 1:
        return "A is better"
    return "no clear difference"


@pytest.mark.parametrize(
    "right",
    [
        experiment(),  # no clear difference
        experiment(a=(0.80, 0.82, 0.85), b=(0.90, 0.91, 0.84)),  # B is better, one seed against it
        experiment(a=(0.95, 0.96, 0.97), b=(0.90, 0.91, 0.92)),  # A is better
        experiment(seeds=(0, 1, 2, 3, 4), a=(0.5, 0.6, 0.7, 0.8, 0.9), b=(0.6, 0.7, 0.8, 0.9, 1.0), margin=0.05),
        experiment(a=(1.0, 1.0, 1.0), b=(1.0, 1.0, 1.0)),  # both perfect: a tie is possible
        experiment(seeds=np.array([3, 4, 5]), a=np.float32([0.8, 0.7, 0.9]), b=np.float64([0.9, 0.8, 0.95])),
    ],
)
def test_depth_experiment_checker_accepts_any_verdict_that_follows(capsys, right):
    passed, out = verdict(capsys, NB["check_depth_experiment"], right)
    assert passed, out


def test_depth_experiment_checker_does_not_know_the_answer(capsys):
    """The same numbers with every conclusion: exactly the one the rule gives passes."""
    a, b = (0.80, 0.82, 0.85), (0.90, 0.91, 0.84)
    passed = [
        verdict(capsys, NB["check_depth_experiment"], experiment(a=a, b=b, conclusion=c))[0]
        for c in ("B is better", "A is better", "no clear difference")
    ]
    assert passed == [True, False, False]
    swapped = [
        verdict(capsys, NB["check_depth_experiment"], experiment(a=b, b=a, conclusion=c))[0]
        for c in ("B is better", "A is better", "no clear difference")
    ]
    assert swapped == [False, True, False]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda: [0.8, 0.9], "return a dict with the keys"),
        (lambda: {"seeds": [1, 2, 3]}, "return a dict with the keys"),
        (experiment(seeds=(10, 11), a=(0.8, 0.9), b=(0.9, 0.95)), "choose at least 3"),
        (experiment(seeds=(10, 10, 11)), "a seed appears twice"),
        (experiment(seeds=(10.0, 11.0, 12.0)), "whole numbers"),
        (
            lambda: {"seeds": 10, "margin": 0.02, "A": {10: 0.8}, "B": {10: 0.9}, "conclusion": "B is better"},
            "a list of whole numbers",
        ),
        (experiment(margin=0), "the margin should be a positive number"),
        (experiment(margin=-0.02), "the margin should be a positive number"),
        (experiment(margin=1.5), "can never be met"),
        (experiment(A=[0.8, 0.85, 0.85]), "each be a dict that maps every seed"),
        (experiment(B={20: 0.81, 21: 0.86, 22: 0.84}), "not run on the same seeds"),
        (
            experiment(seeds=[10, 11, 12], A={10: 0.8, 11: 0.8, 13: 0.9}, B={10: 0.8, 11: 0.9, 13: 0.9}),
            "but the design says",
        ),
        (experiment(a=("0.80", "0.85", "0.85"), conclusion="no clear difference"), "a plain number"),
        (experiment(a=(80.0, 85.0, 85.0), b=(81.0, 86.0, 84.0)), "between 0 and 1"),
        (experiment(a=(0.4, -0.1, 0.3)), "between 0 and 1"),
        (experiment(a=(0.8, float("nan"), 0.9)), "between 0 and 1"),
        (experiment(a=(0.85, 0.85, 0.85)), "the seed does not seem to reach the training"),
        (experiment(a=(0.81, 0.86, 0.84), b=(0.81, 0.86, 0.84)), "A and B scored exactly the same"),
        (experiment(conclusion="B is slightly better"), "the conclusion should be one of"),
        (experiment(conclusion="B is better"), "does not follow from your numbers"),  # the gap is below the margin
        (
            experiment(a=(0.80, 0.85, 0.85), b=(0.95, 0.84, 0.84), conclusion="B is better"),
            "does not follow",
        ),  # 1 of 3 seeds
        (experiment(a=(0.80, 0.82, 0.85), b=(0.90, 0.91, 0.84), conclusion="no clear difference"), "does not follow"),
        (experiment(a=(0.95, 0.96, 0.97), b=(0.90, 0.91, 0.92), conclusion="B is better"), "does not follow"),
    ],
)
def test_depth_experiment_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_depth_experiment"], wrong)
    assert not passed and hint in out


def stack_with(return_sequences=True, feed_x=False, top_only=False, return_layer=None, backwards=False):
    """A family of hand-made stacks: the right one, or one with a typical slip."""

    def stack_by_hand(cells, x):
        y, sequences = x, []
        for l, cell in enumerate(cells):
            last = l == len(cells) - 1
            y = Recurrence(cell, return_sequences=return_sequences or (last and not top_only), go_backwards=backwards)(
                x if feed_x else y
            )
            sequences.append(y)
        if top_only:
            return y[:, -1] if len(y.shape) == 3 else y
        return sequences[return_layer] if return_layer is not None else y

    return stack_by_hand


def test_the_right_stack_passes(capsys):
    passed, out = verdict(capsys, NB["check_stack_by_hand"], stack_with())
    assert passed, out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (stack_with(return_sequences=False), "every layer must return its whole sequence"),
        (stack_with(feed_x=True), "layer 2 reads layer 1's outputs, not x"),
        (stack_with(top_only=True), "you returned only the last output"),
        (stack_with(return_layer=0), "that is the first layer's output sequence"),
        (stack_with(backwards=True), "the numbers are off"),
    ],
)
def test_stack_by_hand_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_stack_by_hand"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda result: [s for states in result[1:] for s in states], "that is a flat list of tensors"),
        (lambda result: result, "result[0] is the output, not a state"),
        (lambda result: result[2:], "it needs 2 lists of states, got 1"),
        (lambda result: result[1:][::-1], "layer 1 (4 units) comes first"),
        (lambda result: [states[::-1] for states in result[1:]], "you swapped h and c"),
        (
            lambda result: [[s * 0 for s in states] for states in result[1:]],
            "does not give what reading all 8 steps gives",
        ),
        (lambda result: result[1], "one list per layer"),
        (lambda result: result[0], "return a list"),
    ],
)
def test_continue_reading_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_continue_reading"], wrong)
    assert not passed and hint in out
