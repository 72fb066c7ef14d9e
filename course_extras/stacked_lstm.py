"""05 · Stacked LSTMs: adding depth: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/05_stacked_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import _exercise_result
from rnn_course.lstm import LSTMCell
from rnn_course.stacked_lstm import cells, StackedRNN


#@title Exercise checkers (run this cell; no need to read it)
def check_depth_experiment(depth_experiment):
    """Exercise 1: depth_experiment() -> {"seeds", "margin", "A", "B", "conclusion"}. Checks the design, that the scores
    are accuracies on the same seeds, and that the conclusion follows from the scores by the exercise's rule."""
    try:
        result = depth_experiment()
    except NotImplementedError:
        return _exercise_result(1, "not attempted yet. Hint: decide the seeds and the margin first, then train both "
                                   "conditions with each of those seeds.")
    keys = ("seeds", "margin", "A", "B", "conclusion")
    if not isinstance(result, dict) or any(key not in result for key in keys):
        return _exercise_result(1, f"return a dict with the keys {', '.join(repr(key) for key in keys)}.")
    if not isinstance(result["seeds"], (list, tuple, range, np.ndarray)):
        return _exercise_result(1, "the seeds should be a list of whole numbers, such as the seeds of section 5.")
    seeds, margin, conclusion = list(result["seeds"]), result["margin"], result["conclusion"]
    scores = {name: result[name] for name in "AB"}
    number = lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    problem = None
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds):
        problem = "the seeds should be whole numbers, as keras.utils.set_random_seed takes them."
    elif len(set(seeds)) < len(seeds):
        problem = "a seed appears twice: a repeated seed repeats the same run and adds no evidence."
    elif len(seeds) < 3:
        problem = f"{len(seeds)} seed(s) cannot tell a real difference from luck: choose at least 3."
    elif not number(margin) or not margin > 0:
        problem = "the margin should be a positive number: how far one mean must lead for the difference to count."
    elif margin >= 1:
        problem = "accuracies lie between 0 and 1, so a margin of 1 or more can never be met: choose a smaller one."
    elif not all(isinstance(scores[name], dict) for name in "AB"):
        problem = "A and B should each be a dict that maps every seed to that run's test accuracy."
    elif set(scores["A"]) != set(scores["B"]):
        problem = (f"A and B were not run on the same seeds (A: {sorted(scores['A'])}, B: {sorted(scores['B'])}): "
                   "compare the two conditions seed by seed, on the same seeds.")
    elif set(scores["A"]) != set(seeds):
        problem = f"the scores are for the seeds {sorted(scores['A'])}, but the design says {seeds}: run the seeds you chose."
    elif not all(number(scores[name][s]) for name in "AB" for s in seeds):
        problem = "every score should be a plain number (a float), not a tensor, an array or a string."
    if problem is not None:
        return _exercise_result(1, problem)
    a, b = (np.array([float(scores[name][s]) for s in seeds]) for name in "AB")  # one score per seed, in seed order
    for name, values in (("A", a), ("B", b)):
        if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
            return _exercise_result(1, f"the scores of {name} should be test accuracies between 0 and 1, got "
                                       f"{np.round(values, 3).tolist()} (a percentage, or a loss?).")
        if len(set(values)) == 1 and 0 < values[0] < 1:
            return _exercise_result(1, f"{name} scored exactly {values[0]} with every seed: the seed does not seem to "
                                       "reach the training (set it before the model is built).")
    if np.array_equal(a, b) and 0 < a.min() and a.max() < 1:
        return _exercise_result(1, "A and B scored exactly the same with every seed: do the two conditions really "
                                   "build different models?")
    conclusions = ("B is better", "A is better", "no clear difference")
    if conclusion not in conclusions:
        return _exercise_result(1, f"the conclusion should be one of {', '.join(map(repr, conclusions))}, got {conclusion!r}.")
    b_as_good, a_as_good, n = int(np.sum(b >= a)), int(np.sum(a >= b)), len(seeds)
    if b.mean() - a.mean() > margin and b_as_good >= n - 1:
        verdict = "B is better"
    elif a.mean() - b.mean() > margin and a_as_good >= n - 1:
        verdict = "A is better"
    else:
        verdict = "no clear difference"
    if conclusion != verdict:
        return _exercise_result(1, f"{conclusion!r} does not follow from your numbers by the rule: the means are "
                                   f"A {a.mean():.3f} and B {b.mean():.3f} (your margin: {margin}), and B is at least "
                                   f"as good as A on {b_as_good} of {n} seeds, A as B on {a_as_good}. Apply both "
                                   "parts of the rule (see Hint 2).")
    return _exercise_result(1, None)


def check_stack_by_hand(stack_by_hand):
    """Exercise 2: stack_by_hand(cells, x) runs one Recurrence per cell, layer by layer; the top layer's sequence."""
    x = np.random.default_rng(13).normal(size=(3, 5, 2)).astype("float32")
    keras.utils.set_random_seed(13)
    cells = [LSTMCell(4, bias_initializer="random_normal"), LSTMCell(3, bias_initializer="random_normal")]
    cells[0].build((None, 2)), cells[1].build((None, 4))
    want = ops.convert_to_numpy(StackedRNN(cells, return_sequences=True)(x))   # (batch, time, 3)
    try:
        got = ops.convert_to_numpy(stack_by_hand(cells, x))
    except NotImplementedError:
        return _exercise_result(2, "not attempted yet. Hint: each layer reads the whole output sequence of the layer below it.")
    except ValueError as error:
        if "(batch, time, features)" in str(error):
            return _exercise_result(2, "a layer got a single vector instead of a sequence. Hint: every layer must return "
                                       "its whole sequence (return_sequences), so that the next one has a sequence to read.")
        if "expected one step" in str(error):
            return _exercise_result(2, "a layer got inputs of the wrong size. Hint: layer 2 reads layer 1's outputs, "
                                       "not x: feed each layer what the layer below returned.")
        raise
    if got.shape == (3, 3):
        problem = "you returned only the last output. Hint: the top layer's whole sequence, (batch, time, units), is wanted."
    elif got.shape == (3, 5, 4):
        problem = "that is the first layer's output sequence; the top (last) layer's is wanted."
    elif got.shape != want.shape:
        problem = f"expected shape (batch, time, units) = {want.shape}, got {got.shape}."
    elif not np.allclose(got, want, atol=1e-5):
        problem = "the numbers are off. Hint: run the cells in the order given, each over the whole output sequence of the one before."
    else:
        problem = None
    return _exercise_result(2, problem)


def check_continue_reading(continue_from):
    """Exercise 3: continue_from(result) -> the initial_state that makes a stack carry on where `result` stopped."""
    x = np.random.default_rng(14).normal(size=(2, 8, 2)).astype("float32")
    keras.utils.set_random_seed(14)
    stack = StackedRNN([LSTMCell(4, bias_initializer="random_normal"), LSTMCell(3, bias_initializer="random_normal")],
                       return_state=True)
    want = ops.convert_to_numpy(stack(x)[0])                  # reading all 8 steps at once
    result = stack(x[:, :5])                                  # [output, [h¹, c¹], [h², c²]] after 5 steps
    try:
        initial_state = continue_from(result)
    except NotImplementedError:
        return _exercise_result(3, "not attempted yet. Hint: result is [output, states of layer 1, states of layer 2].")
    if not isinstance(initial_state, (list, tuple)):
        return _exercise_result(3, "return a list: one entry per layer, each that layer's list of states.")
    if len(initial_state) and initial_state[0] is result[0]:
        return _exercise_result(3, "result[0] is the output, not a state: the states start at result[1].")
    if any(not isinstance(s, (list, tuple)) for s in initial_state):
        return _exercise_result(3, "that is a flat list of tensors. Hint: one list per layer, [[h¹, c¹], [h², c²]], as Keras returns them.")
    if len(initial_state) != 2:
        return _exercise_result(3, f"the stack has 2 layers, so it needs 2 lists of states, got {len(initial_state)}.")
    if [tuple(s.shape) for s in initial_state[0]] != [(2, 4), (2, 4)]:
        return _exercise_result(3, "layer 1 (4 units) comes first: the per-layer lists go from the bottom layer up.")
    got = ops.convert_to_numpy(stack(x[:, 5:], initial_state=initial_state)[0])
    swapped = ops.convert_to_numpy(stack(x[:, 5:], initial_state=[list(s)[::-1] for s in initial_state])[0])
    if np.allclose(swapped, want, atol=1e-5):
        problem = "within a layer the order is [h, c], as the cell returns them; you swapped h and c."
    elif not np.allclose(got, want, atol=1e-5):
        problem = ("reading on from these states does not give what reading all 8 steps gives. Hint: the states after "
                   "the output, unchanged and in the order the stack returned them.")
    else:
        problem = None
    return _exercise_result(3, problem)
