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


def occlusion_with(padding=False, sign=1, delete=False):
    """A family of occlusion functions: the right one, or one with a typical slip."""

    def occlusion_influence(score_fn, ids):
        n = len(ids) if padding else int((ids != 0).sum())
        if delete:
            occluded = np.stack([np.concatenate([np.delete(ids, k), [0]]) for k in range(n)])
        else:
            occluded = np.repeat(ids[None], n, axis=0)
            occluded[np.arange(n), np.arange(n)] = 0
        return sign * (score_fn(ids[None])[0] - score_fn(occluded))

    return occlusion_influence


def test_the_occlusion_family_is_right_by_default(capsys):
    assert verdict(capsys, NB["check_occlusion_influence"], occlusion_with())[0]


@pytest.mark.parametrize(
    "wrong,hint",
    [
        (occlusion_with(padding=True), "padding included"),
        (occlusion_with(sign=-1), "the sign is reversed"),
        (occlusion_with(delete=True), "set it to 0 in place"),
        (lambda score_fn, ids: np.zeros(3), "expected 6 influences"),
        (lambda score_fn, ids: occlusion_with()(score_fn, ids) * 2, "expected ["),
    ],
)
def test_occlusion_checker_catches_mistakes(capsys, wrong, hint):
    passed, out = verdict(capsys, NB["check_occlusion_influence"], wrong)
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
