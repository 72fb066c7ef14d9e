"""The exercise checkers of notebook 08 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import keras
import numpy as np
import pytest

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/08_char_language_model.ipynb")
SOLUTIONS = notebook_namespace("notebooks/solutions/08_char_language_model_solutions.ipynb", extra_tags=("solution",))


def stack_with(cells=2, return_sequences=True, softmax=False, second_units=None):
    """A family of stacked language models: the right one, or one with a typical slip."""

    def stacked_language_model(vocab_size, units):
        widths = [units, second_units or units][:cells]
        cell = (
            keras.layers.StackedRNNCells([keras.layers.GRUCell(w) for w in widths])
            if cells > 1
            else keras.layers.GRUCell(units)
        )
        return keras.Sequential(
            [
                keras.layers.Embedding(vocab_size, 16),
                keras.layers.RNN(cell, return_sequences=return_sequences),
                keras.layers.Dense(vocab_size, activation="softmax" if softmax else None),
            ]
        )

    return stacked_language_model


def test_the_stack_family_is_right_by_default(capsys):
    passed, out = verdict(capsys, NB["check_stacked_language_model"], stack_with())
    assert passed and "one layer: validation perplexity" in out and "two layers: validation perplexity" in out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (stack_with(cells=1), "the parameters of one GRU layer"),
        (stack_with(return_sequences=False), "predicts at every position"),
        (stack_with(softmax=True), "the outputs are probabilities"),
        (stack_with(second_units=8), "both cells have the same number of units"),
    ],
)
def test_stack_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_stacked_language_model"], wrong)
    assert not passed and hint in out


def stream_with(layout="streams", target="next"):
    """A family of batch layouts: the right one, or one with a typical slip."""

    def stream_batches(ids, batch_size, window):
        n = (len(ids) - 1) // (batch_size * window) * (batch_size * window)
        if layout == "side by side":
            cut = lambda s: s.reshape(-1, window)
        else:
            cut = lambda s: s.reshape(batch_size, -1, window).transpose(1, 0, 2).reshape(-1, window)
        if layout == "remainder":  # keeps the windows that do not fill a whole batch
            m = (len(ids) - 1) // window * window
            return (
                np.concatenate([cut(ids[:n]), ids[n:m].reshape(-1, window)]),
                np.concatenate([cut(ids[1 : n + 1]), ids[n + 1 : m + 1].reshape(-1, window)]),
            )
        x = cut(ids[:n])
        y = {"next": cut(ids[1 : n + 1]), "same": x, "previous": cut(np.roll(ids, 1)[:n])}[target]
        return x, y

    return stream_batches


def test_the_stream_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_stream_batches"], stream_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (stream_with(layout="side by side"), "consecutive windows sit side by side"),
        (stream_with(target="same"), "y is x itself"),
        (stream_with(target="previous"), "x is right but y is not"),
        (stream_with(layout="remainder"), "whole batches only"),
        (lambda ids, b, w: tuple(a[::-1] for a in stream_with()(ids, b, w)), "x is not laid out as expected"),
    ],
)
def test_stream_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_stream_batches"], wrong)
    assert not passed and hint in out


def top_k_with(pick="largest", weights="softmax", k_offset=0, per_row=True):
    """A family of top-k samplers: the right one, or one with a typical slip."""

    def sample_top_k(logits, k, rng):
        logits = np.asarray(logits, dtype="float64")
        order = np.argsort(logits if per_row else np.broadcast_to(logits[0], logits.shape), axis=-1)
        keep = order[:, -(k + k_offset) :] if pick == "largest" else order[:, :k]
        if weights == "greedy":
            return keep[:, -1]  # the largest logit of each row
        kept = np.take_along_axis(logits, keep, -1)
        p = np.ones_like(kept) if weights == "uniform" else np.exp(kept - kept.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        return keep[np.arange(len(keep)), (p.cumsum(-1) > rng.random((len(p), 1))).argmax(-1)]

    return sample_top_k


def test_the_top_k_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_sample_top_k"], top_k_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (top_k_with(pick="smallest"), "you kept the k least likely"),
        (top_k_with(k_offset=1), "ids outside the top 3 were drawn"),
        (top_k_with(weights="greedy"), "that is greedy decoding"),
        (top_k_with(weights="uniform"), "drawn equally often"),
        (top_k_with(per_row=False), "outside their own row's top k"),
        (lambda logits, k, rng: top_k_with()(logits, k, rng)[:, None], "expected one id per row"),
        (
            lambda logits, k, rng: (
                np.exp(logits).cumsum(-1) / np.exp(logits).sum(-1, keepdims=True) > rng.random((len(logits), 1))
            ).argmax(-1),
            "ids outside the top 3",
        ),
    ],
)
def test_top_k_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_sample_top_k"], wrong)
    assert not passed and hint in out


def test_the_top_k_solution_never_draws_outside_the_top_k():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(300, 62))
    drawn = SOLUTIONS["sample_top_k"](logits, 4, np.random.default_rng(1))
    top = np.argsort(logits, axis=1)[:, -4:]
    assert all(d in row for d, row in zip(drawn, top))
