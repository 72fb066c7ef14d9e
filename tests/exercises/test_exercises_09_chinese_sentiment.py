"""The exercise checkers of notebook 09 catch typical mistakes with the right hint
(tests/test_exercises.py checks that they accept the worked solutions)."""

import numpy as np
import pytest

from course_code import notebook_namespace
from exercise_checks import verdict

NB = notebook_namespace("notebooks/09_chinese_sentiment.ipynb")
keras = NB["keras"]


def precision_recall_with(swap=False, strict=False, measure="precision and recall", negative_class=False):
    """A family of precision_recall functions: the right one, or one with a typical slip."""

    def precision_recall(scores, labels, threshold):
        called = scores > threshold if strict else scores >= threshold
        truth = labels == 1
        if negative_class:  # the same formulas for the class 0
            called, truth = ~called, ~truth
        tp, fp, fn = (called & truth).sum(), (called & ~truth).sum(), (~called & truth).sum()
        if measure == "accuracy":
            return float(np.mean(called == truth)), float(tp / (tp + fn))
        result = float(tp / (tp + fp)), float(tp / (tp + fn))
        return result[::-1] if swap else result

    return precision_recall


def test_the_precision_recall_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_precision_recall"], precision_recall_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (precision_recall_with(swap=True), "precision and recall are swapped"),
        (precision_recall_with(strict=True), "greater or equal, not greater"),
        (precision_recall_with(measure="accuracy"), "that is the accuracy"),
        (precision_recall_with(negative_class=True), "that is for the negative class"),
        (lambda s, l, t: 0.5, "expected two numbers"),
        (lambda s, l, t: (0.5, 0.5), "precision = TP / (TP + FP)"),
    ],
)
def test_precision_recall_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_precision_recall"], wrong)
    assert not passed and hint in out


def strongest_with(flatten=True, by_abs=False, swap=False, reverse_negative=False, positions=False):
    """A family of strongest_ngrams functions: the right one, or one with a typical slip."""

    def strongest_ngrams(kernel, grams, k):
        w = np.asarray(kernel).reshape(-1) if flatten else np.asarray(kernel)
        key = -np.abs(w) if by_abs else -w
        top = np.argsort(key, axis=-1).reshape(-1)[:k]
        bottom = np.argsort(w, axis=-1).reshape(-1)[:k]
        if reverse_negative:
            bottom = bottom[::-1]
        pick = (lambda idx: list(idx)) if positions else (lambda idx: [grams[i] for i in idx])
        result = pick(top), pick(bottom)
        return result[::-1] if swap else result

    return strongest_ngrams


def test_the_strongest_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_strongest_ngrams"], strongest_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (strongest_with(flatten=False), "flatten it to (G,) first"),
        (strongest_with(by_abs=True), "that sorts by |w|"),
        (strongest_with(swap=True), "the two lists are swapped"),
        (strongest_with(reverse_negative=True), "the most negative weight first"),
        (strongest_with(positions=True), "not their positions"),
        (lambda kernel, grams, k: ["a"], "expected two lists"),
        (lambda kernel, grams, k: (grams[:4], grams[-4:]), "expected ["),
    ],
)
def test_strongest_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_strongest_ngrams"], wrong)
    assert not passed and hint in out


def classifier_with(mask=True, length=None, middle="gru", head="sigmoid"):
    """A family of make_order_classifier functions: a right one, or one with a typical slip."""

    def make_order_classifier(vocab_size):
        middle_layer = {
            "gru": lambda: NB["BidirectionalRNN"](keras.layers.GRU(16)),
            "bag": lambda: keras.layers.GlobalAveragePooling1D(),
        }[middle]()
        head_layer = keras.layers.Dense(1, activation="sigmoid") if head == "sigmoid" else keras.layers.Dense(2)
        return keras.Sequential(
            [
                keras.Input((length,), dtype="int32"),
                keras.layers.Embedding(vocab_size, 8, mask_zero=mask),
                middle_layer,
                head_layer,
            ]
        )

    return make_order_classifier


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (classifier_with(mask=False), "more padding changed the output"),
        (classifier_with(mask=False, length=10), "more padding changed the output"),
        (classifier_with(head="two logits"), "end with one sigmoid unit"),
        (classifier_with(middle="bag"), "must read the ids in order"),
        (lambda vocab_size: "a model", "expected a Keras model"),
    ],
)
def test_order_classifier_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_order_classifier"], wrong)
    assert not passed and hint in out
