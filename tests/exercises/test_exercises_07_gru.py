"""The exercise checkers of notebook 07 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import keras
import numpy as np
import pytest
from keras import ops

from course_code import notebook_namespace
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


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (step_with(keep="1-z"), "the sign convention is flipped"),
        (step_with(order="rzh"), "z and r are swapped"),
        (step_with(squash=sigmoid), "uses tanh, not the sigmoid"),
        (step_with(reset_place="wrong"), "reset_after=False, r multiplies h_prev before the product"),
        (
            lambda *a: step_with()(*a) if not a[-1] else step_with(reset_place="wrong")(*a),
            "reset_after=True, r multiplies (h_prev U_h + bbar_h), after the product",
        ),
        (step_with(bbar_h="outside"), "bbar_h belongs inside the bracket"),
        (step_with(second_row=False), "the second bias row"),
        (lambda *a: step_with()(*a)[:1], "expected h_t of shape"),
        (lambda *a: 0.9 * step_with()(*a), "h_t is off"),
    ],
)
def test_gru_step_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_gru_step"], wrong)
    assert not passed and hint in out


def mgu_with(
    reset="before",
    keep="1-f",
    order="fh",
    squash="tanh",
    carry=True,
    output="h_t",
    state="list",
    blocks=2,
    bias_rows=1,
    states_as_is=False,
):
    """A family of MinimalGRUCell classes: the right one, or one with a typical slip."""

    class Cell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units
            self.output_size = units

        def build(self, input_shape):
            n = blocks * self.units
            self.kernel = self.add_weight(shape=(input_shape[-1], n), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, n), name="recurrent_kernel")
            self.bias = self.add_weight(shape=(n,) if bias_rows == 1 else (bias_rows, n), name="bias")

        def call(self, inputs, states, training=None):
            h_prev = states if states_as_is else states[0]
            u = self.units
            f_cols, h_cols = (slice(0, u), slice(u, 2 * u)) if order == "fh" else (slice(u, 2 * u), slice(0, u))
            a = ops.matmul(inputs, self.kernel) + self.bias
            f = ops.sigmoid(a[:, f_cols] + ops.matmul(h_prev, self.recurrent_kernel[:, f_cols]))
            U_h = self.recurrent_kernel[:, h_cols]
            inside = {
                "before": ops.matmul(f * h_prev, U_h),
                "after": f * ops.matmul(h_prev, U_h),
                "none": ops.matmul(h_prev, U_h),
            }[reset]
            h_hat = (ops.tanh if squash == "tanh" else ops.sigmoid)(a[:, h_cols] + inside)
            h_t = (1 - f) * h_prev + f * h_hat if keep == "1-f" else f * h_prev + (1 - f) * h_hat
            new = h_t if carry else h_prev
            out = h_t if output == "h_t" else h_hat
            return out, ([new] if state == "list" else new)

    return Cell


@pytest.mark.parametrize("state", ["list", "bare"])
def test_the_mgu_family_is_right_by_default_with_either_state_form(capsys, state):
    assert verdict(capsys, NB["check_minimal_gru_cell"], mgu_with(state=state))[0]


def test_the_mgu_solution_passes_returning_a_bare_state_too(capsys):
    """keras.layers.RNN accepts the new state as a list or as a bare tensor; the checker accepts both."""

    class BareState(SOLUTIONS["MinimalGRUCell"]):
        def call(self, inputs, states, training=None):
            h_t, (new_state,) = super().call(inputs, states, training)
            return h_t, new_state

    assert verdict(capsys, NB["check_minimal_gru_cell"], BareState)[0]


def test_a_cell_with_build_written_but_not_call_is_not_attempted(capsys):
    class BuildOnly(mgu_with()):
        def call(self, inputs, states, training=None):
            raise NotImplementedError

    passed, out = verdict(capsys, NB["check_minimal_gru_cell"], BuildOnly)
    assert not passed and "not attempted yet. Hint:" in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (mgu_with(reset="after"), "f scales h_{t-1} before the product"),
        (mgu_with(reset="none"), "the candidate ignores f"),
        (mgu_with(keep="f"), "f and 1 - f are swapped in the update"),
        (mgu_with(order="hf"), "the blocks are swapped"),
        (mgu_with(squash="sigmoid"), "uses tanh, not the sigmoid"),
        (mgu_with(carry=False), "every step starts again from zero"),
        (mgu_with(output="h_hat"), "the final state is right but the outputs are not"),
        (mgu_with(blocks=3), "that is the GRU's three blocks"),
        (mgu_with(bias_rows=2), "one bias row is enough"),
        (mgu_with(blocks=1), "expected the weights kernel (3, 8), recurrent_kernel (4, 8), bias (8,)"),
        (mgu_with(states_as_is=True), "states arrives as a list"),
    ],
)
def test_mgu_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_minimal_gru_cell"], wrong)
    assert not passed and hint in out


def test_the_mgu_checker_compares_with_an_independent_reference():
    """The NumPy reference inside the checker is the MGU: a reset_after=False GRU with r = f and z = 1 - f."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    kernel, recurrent_kernel, bias = (rng.normal(size=s).astype("float32") for s in [(3, 8), (4, 8), (8,)])
    tied = lambda w: np.concatenate([-w[..., :4], w[..., :4], w[..., 4:]], axis=-1)
    want = NB["_numpy_gru_sequence"](x, tied(kernel), tied(recurrent_kernel), tied(bias), reset_after=False)
    np.testing.assert_allclose(NB["_numpy_mgu_sequence"](x, kernel, recurrent_kernel, bias), want, atol=1e-6)


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


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda k, u, b: [k, u, b], "these are the weights unchanged"),
        (negate_blocks([0, 1, 2]), "you negated all three blocks"),
        (negate_blocks([1]), "you negated the reset gate's block"),
        (negate_blocks([0], rows=()), "must be negated too"),
        (negate_blocks([0], rows=(0,)), "must be negated too"),
        (lambda k, u, b: [1 - k, 1 - u, 1 - b], "negate W_z, U_z and b_z"),
        (lambda k, u, b: [k, u, b[0]], "return [kernel, recurrent_kernel, bias] with shapes"),
    ],
)
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
