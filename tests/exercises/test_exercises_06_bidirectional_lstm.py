"""The exercise checkers of notebook 06 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import keras
import numpy as np
import pytest

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/06_bidirectional_lstm.ipynb")


def classifier(mask_zero=True, wrapper="ours", return_sequences=False):
    """A sentence classifier as a learner might write it, right or with one typical mistake."""

    def make(vocab_size, length, units):
        layer = NB["Recurrence"](NB["LSTMCell"](units), return_sequences=return_sequences)
        if wrapper == "ours":
            both_ways = NB["BidirectionalRNN"](layer)
        else:
            both_ways = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=return_sequences))
        return keras.Sequential(
            [
                keras.Input((length,), dtype="int32"),
                keras.layers.Embedding(vocab_size, 8, mask_zero=mask_zero),
                both_ways,
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )

    return make


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (classifier(mask_zero=False), "the padding must be masked"),
        (classifier(wrapper="keras"), "with your BidirectionalRNN"),
        (classifier(return_sequences=True), "leave return_sequences off"),
        (lambda v, n, u: NB["BidirectionalRNN"](NB["Recurrence"](NB["LSTMCell"](u))), "expected a keras model"),
    ],
)
def test_classifier_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_sentence_classifier"], wrong)
    assert not passed and hint in out


def test_classifier_checker_accepts_a_right_model(capsys):
    passed, out = verdict(capsys, NB["check_sentence_classifier"], classifier())
    assert passed, out


def halves(outputs):
    outputs = np.asarray(outputs)
    return outputs, outputs.shape[-1] // 2


def at_last_real_step(outputs, lengths):
    outputs, _ = halves(outputs)
    return outputs[np.arange(len(lengths)), np.asarray(lengths) - 1]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda o, lengths: np.asarray(o)[:, -1], "last row of every sequence"),
        (
            lambda o, lengths: np.concatenate(
                [halves(o)[0][:, -1, : halves(o)[1]], halves(o)[0][:, 0, halves(o)[1] :]], axis=-1
            ),
            "right for the full-length sequence only",
        ),
        (at_last_real_step, "the backward half at the last real step has read only the last word"),
        (
            lambda o, lengths: np.concatenate(
                [halves(o)[0][:, 0, halves(o)[1] :], at_last_real_step(o, lengths)[:, : halves(o)[1]]], axis=-1
            ),
            "swapped",
        ),
        (lambda o, lengths: np.asarray(o)[:, 0], "numbers are off"),
        (lambda o, lengths: np.asarray(o)[:, -1, : halves(o)[1]], "expected shape (batch, 2 · units)"),
    ],
)
def test_sentence_vector_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_sentence_vector"], wrong)
    assert not passed and hint in out


def reverse_first(x, counts):
    out = np.array(x)
    for b, n in enumerate(counts):
        out[b, :n] = x[b, :n][::-1]
    return out


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (lambda x, lengths: x[:, ::-1], "you reversed the padding too"),
        (lambda x, lengths: x[::-1], "batch axis"),
        (lambda x, lengths: x, "nothing changed"),
        (lambda x, lengths: reverse_first(x, np.minimum(np.asarray(lengths) + 1, x.shape[1])), "the padding moved"),
        (lambda x, lengths: reverse_first(x, np.asarray(lengths) - 1), "numbers are off"),
        (lambda x, lengths: x[:, :-1], "expected the shape of x"),
    ],
)
def test_reverse_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_reverse_within_length"], wrong)
    assert not passed and hint in out
