"""06 · The bidirectional LSTM: context from both sides: the exercise checkers and embedded data (not installed with rnn_course).

Generated from notebooks/06_bidirectional_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from rnn_course.simple_rnn import Recurrence
from .simple_rnn import _exercise_result
from rnn_course.lstm import LSTMCell
from rnn_course.bidirectional_lstm import BidirectionalRNN, LSTMCell, Recurrence


#@title Exercise checkers (run this cell; no need to read it)
def check_sentence_classifier(sentence_classifier):
    """Exercise 1: sentence_classifier(vocab_size, length, units) -> an uncompiled keras model from token ids
    (batch, length), 0 = padding, to P(label = 1) (batch, 1), reading both ways with BidirectionalRNN."""
    ids = np.array([[5, 3, 7, 2, 0, 0], [4, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])  # right-padded with 0
    try:
        keras.utils.set_random_seed(5)
        model = sentence_classifier(9, 6, 4)
    except NotImplementedError:
        return _exercise_result(1, "not attempted yet. Hint: three layers, from token ids to one probability.")
    if not isinstance(model, keras.Model):
        return _exercise_result(1, f"expected a keras model (keras.Sequential or keras.Model), got {type(model).__name__}.")
    if not any(isinstance(layer, BidirectionalRNN) for layer in model.layers):
        return _exercise_result(1, "the model must read the sentence both ways with your BidirectionalRNN (section 3).")
    out = np.asarray(model(ids))
    if out.shape != (3, 1):
        hint = " (one vector per sentence: leave return_sequences off)" if out.ndim == 3 else ""
        return _exercise_result(1, f"expected one probability per sentence, shape (3, 1), got {out.shape}{hint}.")
    if not np.all((out > 0) & (out < 1)):
        return _exercise_result(1, "the outputs should be probabilities, between 0 and 1: one unit with a sigmoid.")
    short = sentence_classifier(9, 4, 4)  # the same weights on sentences cut right after their real words
    short(ids[:, :4])
    short.set_weights(model.get_weights())
    if np.abs(np.asarray(short(ids[:2, :4])) - out[:2]).max() > 1e-5:
        return _exercise_result(1, "adding padding changed the prediction: the padding must be masked, so that the "
                                   "backward direction starts at each sentence's last real word (Embedding's "
                                   "mask_zero, section 5).")
    model.compile(optimizer="adam", loss="binary_crossentropy")
    loss = model.fit(ids, np.array([1.0, 0.0, 1.0]), epochs=1, verbose=0).history["loss"][-1]
    if not np.isfinite(loss):
        return _exercise_result(1, "the model does not train (its loss is not finite).")
    return _exercise_result(1, None)


def check_sentence_vector(sentence_vector):
    """Exercise 2: sentence_vector(outputs, lengths) -> [h→ at each sequence's last real step ; h← at step 1]."""
    x = np.random.default_rng(13).normal(size=(4, 6, 3)).astype("float32")
    lengths = np.array([6, 2, 4, 1])
    mask = np.arange(6)[None, :] < lengths[:, None]                     # (batch, time), right-padded
    layer = BidirectionalRNN(Recurrence(LSTMCell(5), return_sequences=True))
    outputs = ops.convert_to_numpy(layer(x, mask=mask))                 # (4, 6, 10)
    last = BidirectionalRNN(Recurrence(LSTMCell(5)))
    last(x)
    last.set_weights(layer.get_weights())
    want = ops.convert_to_numpy(last(x, mask=mask))                     # (4, 10): [h→_T ; h←_1] per sequence
    at_end = outputs[np.arange(4), lengths - 1]                         # (4, 10): both halves at the last real step
    try:
        got = np.asarray(ops.convert_to_numpy(sentence_vector(outputs, lengths)))
    except NotImplementedError:
        return _exercise_result(2, "not attempted yet. Hint: each half holds its final state in a different row; where did each direction stop reading?")
    if got.shape != want.shape:
        problem = f"expected shape (batch, 2 · units) = {want.shape}, got {got.shape}."
    elif np.allclose(got, outputs[:, -1]):
        problem = ("that is the last row of every sequence, which for a padded one is padding (zeros). "
                   "Hint: use lengths to find the last real step.")
    elif np.allclose(got, np.concatenate([outputs[:, -1, :5], outputs[:, 0, 5:]], axis=1)):
        problem = ("right for the full-length sequence only: a padded one has zeros in its last row. "
                   "Hint: take the forward half at each sequence's own last real step, from lengths.")
    elif np.allclose(got, at_end):
        problem = ("the forward half is right, but the backward half at the last real step has read only the last "
                   "word. Hint: h←_1, its final state, is in row 0.")
    elif np.allclose(got, np.concatenate([want[:, 5:], want[:, :5]], axis=1)):
        problem = "the two halves are swapped: the forward half comes first."
    elif not np.allclose(got, want, atol=1e-6):
        problem = ("the numbers are off. Hint: for each sequence, the forward half at its last real step and the backward "
                   "half at step 0, concatenated (see Hint 2).")
    else:
        problem = None
    return _exercise_result(2, problem)


def check_reverse_within_length(reverse_within_length):
    """Exercise 3: reverse_within_length(x, lengths) reverses each sequence's real steps and keeps padding at the end."""
    x = np.random.default_rng(14).normal(size=(4, 6, 2)).astype("float32")
    lengths = np.array([6, 3, 1, 5])
    for b, n in enumerate(lengths):
        x[b, n:] = 0.0                                                   # right padding
    want = x.copy()
    for b, n in enumerate(lengths):
        want[b, :n] = x[b, :n][::-1]
    try:
        got = np.asarray(ops.convert_to_numpy(reverse_within_length(x.copy(), lengths)))
    except NotImplementedError:
        return _exercise_result(3, "not attempted yet. Hint: only the real steps of each sequence move; the padding stays at the end.")
    if got.shape != want.shape:
        problem = f"expected the shape of x, {want.shape}, got {got.shape}."
    elif np.allclose(got, x[:, ::-1]):
        problem = "you reversed the padding too: it now comes first. Hint: reverse only the first lengths[b] steps."
    elif np.allclose(got, x[::-1]):
        problem = "you reversed the batch axis (0). Time is axis 1, and only the real steps should move."
    elif np.allclose(got, x):
        problem = "nothing changed: the real steps of each sequence must come out in reverse order (see Hint 2)."
    elif not np.array_equal(got[:, :, 0] == 0, want[:, :, 0] == 0):
        problem = "the padding moved. It must stay at the end, after the reversed real steps."
    elif not np.allclose(got, want):
        problem = ("the numbers are off. Hint: in a sequence with n real steps, step t < n must hold its real step "
                   "n - 1 - t, and the later steps stay as they are.")
    else:
        problem = None
    return _exercise_result(3, problem)
