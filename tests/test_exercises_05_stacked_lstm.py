"""The exercise checkers of notebook 05 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""
import pytest

from conftest import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/05_stacked_lstm.ipynb")
Recurrence = NB["Recurrence"]


def lstm_layer_params(input_dim, units):
    return 4 * units * (input_dim + units + 1)


@pytest.mark.parametrize("wrong,hint", [
    (lambda d, units: sum(lstm_layer_params(d, u) for u in units), "its input size is units[l - 1], not input_dim"),
    (lambda d, units: sum(lstm_layer_params(i, u) for i, u in zip([d] + units[:-1], units)) // 4, "an LSTM layer has four gates"),
    (lambda d, units: sum(4 * u * (i + u) for i, u in zip([d] + units[:-1], units)), "the biases are missing"),
    (lambda d, units: lstm_layer_params(d, units[0]), "layer l has 4 · u_l · (u_{l-1} + u_l + 1)"),
])
def test_stack_params_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_stack_params"], wrong)
    assert not passed and hint in out


def stack_with(return_sequences=True, feed_x=False, top_only=False, return_layer=None, backwards=False):
    """A family of hand-made stacks: the right one, or one with a typical slip."""
    def stack_by_hand(cells, x):
        y, sequences = x, []
        for l, cell in enumerate(cells):
            last = l == len(cells) - 1
            y = Recurrence(cell, return_sequences=return_sequences or (last and not top_only),
                           go_backwards=backwards)(x if feed_x else y)
            sequences.append(y)
        if top_only:
            return y[:, -1] if len(y.shape) == 3 else y
        return sequences[return_layer] if return_layer is not None else y
    return stack_by_hand


def test_the_right_stack_passes(capsys):
    passed, out = verdict(capsys, NB["check_stack_by_hand"], stack_with())
    assert passed, out


@pytest.mark.parametrize("wrong,hint", [
    (stack_with(return_sequences=False), "every layer needs return_sequences=True"),
    (stack_with(feed_x=True), "layer 2 reads layer 1's outputs, not x"),
    (stack_with(top_only=True), "you returned only the last output"),
    (stack_with(return_layer=0), "that is the first layer's output sequence"),
    (stack_with(backwards=True), "the numbers are off"),
])
def test_stack_by_hand_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_stack_by_hand"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize("wrong,hint", [
    (lambda result: [s for states in result[1:] for s in states], "that is a flat list of tensors"),
    (lambda result: result, "result[0] is the output, not a state"),
    (lambda result: result[2:], "it needs 2 lists of states, got 1"),
    (lambda result: result[1:][::-1], "layer 1 (4 units) comes first"),
    (lambda result: [states[::-1] for states in result[1:]], "you swapped h and c"),
    (lambda result: [[s * 0 for s in states] for states in result[1:]], "does not give what reading all 8 steps gives"),
    (lambda result: result[1], "one list per layer"),
    (lambda result: result[0], "return a list"),
])
def test_continue_reading_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_continue_reading"], wrong)
    assert not passed and hint in out
