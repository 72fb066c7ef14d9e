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


def reader_with(slip=None):
    """reader_stream, right or with a typical slip."""

    def reader_stream(x, batch_size, b):
        x = np.asarray(x)
        if slip == "consecutive rows":
            n_batches = len(x) // batch_size
            return x[b * n_batches : (b + 1) * n_batches].reshape(-1)
        if slip == "first window":
            return x[b]
        if slip == "columns":
            return x[b::batch_size].T.reshape(-1)
        return x[b::batch_size].reshape(-1)

    return reader_stream


def test_the_reader_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_reader_stream"], reader_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (reader_with("consecutive rows"), "the rows of one batch belong to different readers"),
        (reader_with("first window"), "ids in all, one window per batch"),
        (reader_with("columns"), "should read ids"),
    ],
)
def test_reader_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_reader_stream"], wrong)
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
