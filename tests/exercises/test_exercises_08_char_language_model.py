"""The exercise checkers of notebook 08 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import numpy as np
import pytest

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/08_char_language_model.ipynb")
SOLUTIONS = notebook_namespace("notebooks/solutions/08_char_language_model_solutions.ipynb", extra_tags=("solution",))


def bigram_with(normalize="row", k_in_denominator=True, smooth=True, log=np.log, to_perplexity=True, transpose=False):
    """A family of bigram perplexities: the right one, or one with a typical slip."""

    def bigram_perplexity(train_ids, val_ids, vocab_size, k):
        k = k if smooth else 0.0
        counts = np.zeros((vocab_size, vocab_size))
        np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)
        with np.errstate(divide="ignore", invalid="ignore"):  # without smoothing, unseen rows divide 0 by 0
            if normalize == "row":
                rows = counts.sum(axis=1, keepdims=True)
                p = (counts + k) / (rows + k * vocab_size if k_in_denominator else np.maximum(rows, 1))
            else:
                p = (counts + k) / (counts.sum() + k * vocab_size**2)
        pairs = (val_ids[1:], val_ids[:-1]) if transpose else (val_ids[:-1], val_ids[1:])
        with np.errstate(divide="ignore"):
            ce = -np.mean(log(p[pairs]))
        return float(np.exp(ce)) if to_perplexity else float(ce)

    return bigram_perplexity


def test_the_bigram_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_bigram_perplexity"], bigram_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (bigram_with(to_perplexity=False), "that is the cross-entropy"),
        (bigram_with(log=np.log2), "the bases are mixed"),
        (bigram_with(k_in_denominator=False), "count(a) + k·V"),
        (bigram_with(normalize="joint"), "that is the joint p(a, b)"),
        (bigram_with(transpose=True), "rows and columns are swapped"),
        (bigram_with(smooth=False), "never occurs in training"),
        (lambda *a: 1.1 * bigram_with()(*a), "the perplexity is off"),
    ],
)
def test_bigram_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_bigram_perplexity"], wrong)
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
