"""The exercise checkers of notebook 07 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""
import keras
import numpy as np
import pytest

from conftest import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/07_gru.ipynb")
SOLUTIONS = notebook_namespace("notebooks/solutions/07_gru_solutions.ipynb", extra_tags=("solution",))


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def step_with(keep="z", order="zrh", squash=np.tanh, reset_place="right", bbar_h="inside", second_row=True):
    """A family of GRU steps: the right one, or one with a typical slip."""
    def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
        if reset_after:
            b, bbar = bias[0], bias[1] if second_row else np.zeros_like(bias[1])
        else:
            b, bbar = bias, np.zeros_like(bias)
        from_x = dict(zip(order, np.split(x_t @ kernel + b, 3, axis=1)))
        from_h = dict(zip(order, np.split(h_prev @ recurrent_kernel, 3, axis=1)))
        bbars = dict(zip(order, np.split(bbar, 3)))
        U_h = dict(zip(order, np.split(recurrent_kernel, 3, axis=1)))["h"]
        z = sigmoid(from_x["z"] + from_h["z"] + bbars["z"])
        r = sigmoid(from_x["r"] + from_h["r"] + bbars["r"])
        after = reset_after if reset_place == "right" else not reset_after
        if after:
            recurrent_h = r * (from_h["h"] + bbars["h"]) if bbar_h == "inside" else r * from_h["h"] + bbars["h"]
        else:
            recurrent_h = (r * h_prev) @ U_h + bbars["h"]
        h_hat = squash(from_x["h"] + recurrent_h)
        return z * h_prev + (1 - z) * h_hat if keep == "z" else (1 - z) * h_prev + z * h_hat
    return gru_step


def test_the_step_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_gru_step"], step_with())[0]


@pytest.mark.parametrize("wrong,hint", [
    (step_with(keep="1-z"), "the sign convention is flipped"),
    (step_with(order="rzh"), "z and r are swapped"),
    (step_with(squash=sigmoid), "uses tanh, not the sigmoid"),
    (step_with(reset_place="wrong"), "reset_after=False, r multiplies h_prev before the product"),
    (lambda *a: step_with()(*a) if not a[-1] else step_with(reset_place="wrong")(*a),
     "reset_after=True, r multiplies (h_prev U_h + bbar_h), after the product"),
    (step_with(bbar_h="outside"), "bbar_h belongs inside the bracket"),
    (step_with(second_row=False), "the second bias row"),
    (lambda *a: step_with()(*a)[:1], "expected h_t of shape"),
    (lambda *a: 0.9 * step_with()(*a), "h_t is off"),
])
def test_gru_step_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_gru_step"], wrong)
    assert not passed and hint in out


@pytest.mark.parametrize("wrong,hint", [
    (lambda i, u, reset_after=True: 3 * u * (i + u + 1), "that is the reset_after=False count"),
    (lambda i, u, reset_after=True: 3 * u * (i + u + 2), "only one bias vector"),
    (lambda i, u, reset_after=True: u * (i + u + (2 if reset_after else 1)), "that is one block"),
    (lambda i, u, reset_after=True: 4 * u * (i + u + 1), "that is the LSTM's count"),
    (lambda i, u, reset_after=True: 3 * (i * u + u * u), "each block has W_g"),
])
def test_param_count_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_gru_params"], wrong)
    assert not passed and hint in out


def negate_blocks(blocks, rows=(0, 1)):
    """A conversion that negates the given column blocks (0 = z, 1 = r, 2 = h); biases only in the given rows."""
    def convert(kernel, recurrent_kernel, bias):
        units = recurrent_kernel.shape[0]
        out = [kernel.copy(), recurrent_kernel.copy(), bias.copy()]
        for k in blocks:
            cols = slice(k * units, (k + 1) * units)
            out[0][:, cols] *= -1
            out[1][:, cols] *= -1
            for row in rows:
                out[2][row, cols] *= -1
        return out
    return convert


def test_folding_the_update_gate_biases_into_one_row_is_accepted(capsys):
    def fold(kernel, recurrent_kernel, bias):
        kernel, recurrent_kernel, bias = negate_blocks([0])(kernel, recurrent_kernel, bias)
        bias[0, :4], bias[1, :4] = bias[0, :4] + bias[1, :4], 0.0  # only b_z + bbar_z matters
        return [kernel, recurrent_kernel, bias]
    assert verdict(capsys, NB["check_to_keras_convention"], fold)[0]


@pytest.mark.parametrize("wrong,hint", [
    (lambda k, u, b: [k, u, b], "these are the weights unchanged"),
    (negate_blocks([0, 1, 2]), "you negated all three blocks"),
    (negate_blocks([1]), "you negated the reset gate's block"),
    (negate_blocks([0], rows=()), "must be negated too"),
    (negate_blocks([0], rows=(0,)), "must be negated too"),
    (lambda k, u, b: [1 - k, 1 - u, 1 - b], "negate W_z, U_z and b_z"),
    (lambda k, u, b: [k, u, b[0]], "return [kernel, recurrent_kernel, bias] with shapes"),
])
def test_convention_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_to_keras_convention"], wrong)
    assert not passed and hint in out


def test_the_convention_checker_really_runs_keras(capsys):
    """The right conversion, checked independently: Keras with the converted weights computes the other convention."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    theirs = [rng.normal(size=s).astype("float32") for s in [(3, 12), (4, 12), (2, 12)]]
    layer = keras.layers.GRU(4, return_sequences=True)
    layer.build((None, None, 3))
    layer.set_weights(SOLUTIONS["to_keras_convention"](*theirs))
    want = NB["_numpy_gru_sequence"](x, *theirs, keep="1-z")
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5)
    assert not np.allclose(want, NB["_numpy_gru_sequence"](x, *theirs, keep="z"), atol=1e-3)
