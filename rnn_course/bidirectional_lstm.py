"""06 · The bidirectional LSTM: context from both sides

Generated from notebooks/06_bidirectional_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import add_to_class, SimpleRNNCell, Recurrence
from .lstm import LSTMCell


def copy_layer(layer, **changes):
    """A new, unbuilt layer made from `layer`'s config, with some entries changed (e.g. go_backwards=True)."""
    config = keras.saving.serialize_keras_object(layer)
    config["config"].update(changes)
    return keras.saving.deserialize_keras_object(config)


def count_states(layer):
    """How many state tensors one direction returns: 1 for a simple RNN or a GRU, 2 ([h, c]) for an LSTM."""
    size = layer.cell.state_size
    return len(size) if isinstance(size, (list, tuple)) else 1


def check_recurrent_layer(wrapper, layer, forward_layer=None):
    """Raise a clear error unless `layer` is a recurrent layer and, if it is the backward layer, fits forward_layer."""
    name = type(wrapper).__name__
    if not isinstance(layer, keras.layers.Layer) or not hasattr(layer, "cell") or not hasattr(layer, "go_backwards"):
        raise ValueError(f"{name} wraps a recurrent layer such as Recurrence(LSTMCell(units)) or "
                         f"keras.layers.LSTM(units), got {type(layer).__name__}")
    if forward_layer is None:
        return
    if layer.go_backwards == forward_layer.go_backwards:
        raise ValueError(f"{name}: the backward layer must read the other way, but both layers have "
                         f"go_backwards={layer.go_backwards}")
    for option in ("return_sequences", "return_state"):
        if getattr(layer, option) != getattr(forward_layer, option):
            raise ValueError(f"{name}: the forward and backward layers must agree on {option}, got "
                             f"{getattr(forward_layer, option)} (forward) and {getattr(layer, option)} (backward)")


def check_merge_mode(wrapper, merge_mode):
    """Raise a clear error unless merge_mode is one keras.layers.Bidirectional takes."""
    if merge_mode not in wrapper.MERGE_MODES:
        raise ValueError(f"{type(wrapper).__name__} merge_mode must be one of {wrapper.MERGE_MODES}, "
                         f"got {merge_mode!r}")


@keras.saving.register_keras_serializable(package="rnn_course")
class BidirectionalRNN(keras.layers.Layer):
    """Run `layer` forwards and a copy of it backwards over the same sequence, then merge at each step t:
    y_t = merge(h→_t, h←_t), where h→_t has read x_1..x_t and h←_t has read x_T..x_t.

    Weights: the forward layer's, then the backward layer's; a stateful layer (notebook 08) gives two stateful
    directions, as in keras.layers.Bidirectional. Not taken (it has them): weights, and constants in call."""

    MERGE_MODES = ("concat", "sum", "ave", "mul", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        check_recurrent_layer(self, layer)
        check_merge_mode(self, merge_mode)
        self.forward_layer = copy_layer(layer, name="forward_" + layer.name.removeprefix("forward_"))
        if backward_layer is None:  # the same layer, reading the other way
            backward_layer = copy_layer(layer, go_backwards=not layer.go_backwards,
                                        name="backward_" + layer.name.removeprefix("backward_"))
        check_recurrent_layer(self, backward_layer, forward_layer=self.forward_layer)
        self.backward_layer = backward_layer
        for direction in (self.forward_layer, self.backward_layer):
            direction.zero_output_for_mask = direction.return_sequences  # as Keras does: padded steps output 0
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.stateful = getattr(layer, "stateful", False)  # both copies keep their states (notebook 08)
        self.supports_masking = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state, backward_state = self.split_initial_state(initial_state)  # each None, or a list of states
        y_fwd = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
        y_bwd = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        states = []
        if self.return_state:  # each direction returned [output, *states]
            (y_fwd, *forward_states), (y_bwd, *backward_states) = y_fwd, y_bwd
            states = [*forward_states, *backward_states]
        if self.return_sequences:
            y_bwd = ops.flip(y_bwd, axis=1)  # reading order -> time order: row t has read x_T..x_t
        y_fwd, y_bwd = ops.cast(y_fwd, self.compute_dtype), ops.cast(y_bwd, self.compute_dtype)
        outputs = self.merge(y_fwd, y_bwd)
        return [*outputs, *states] if self.return_state or self.merge_mode is None else outputs[0]


# BidirectionalRNN, continued: the initial states split, the merge, build, stateful states, shapes and masks, saving.
# Keras needs these; the equations are all in the cell above.
@add_to_class(BidirectionalRNN)
def split_initial_state(self, initial_state):
    """(forward states, backward states) from initial_state: its first half, then its second; (None, None)."""
    if initial_state is None:
        return None, None
    n = count_states(self.forward_layer)
    if len(initial_state) != 2 * n:
        raise ValueError(f"BidirectionalRNN expected {2 * n} initial states ({n} forward, then {n} backward), "
                         f"got {len(initial_state)}")
    return list(initial_state[:n]), list(initial_state[n:])


@add_to_class(BidirectionalRNN)
def merge(self, y_fwd, y_bwd):
    """The merged output as a list: one tensor, or [y_fwd, y_bwd] for merge_mode=None."""
    if self.merge_mode == "concat":
        return [ops.concatenate([y_fwd, y_bwd], axis=-1)]  # (..., 2 units)
    if self.merge_mode == "sum":
        return [y_fwd + y_bwd]
    if self.merge_mode == "ave":
        return [(y_fwd + y_bwd) / 2]
    if self.merge_mode == "mul":
        return [y_fwd * y_bwd]
    return [y_fwd, y_bwd]


@add_to_class(BidirectionalRNN)
def build(self, sequences_shape):  # (batch, time, features)
    if len(sequences_shape) != 3:
        raise ValueError(f"BidirectionalRNN expected inputs of shape (batch, time, features), got {tuple(sequences_shape)}")
    for direction in (self.forward_layer, self.backward_layer):
        if not direction.built:
            direction.build(sequences_shape)


@add_to_class(BidirectionalRNN)
def reset_state(self):
    """Zero the kept states of both directions (stateful layers)."""
    self.forward_layer.reset_state()
    self.backward_layer.reset_state()


@add_to_class(BidirectionalRNN)
def reset_states(self):
    """The other name Keras uses: reset_state."""
    return self.reset_state()


@add_to_class(BidirectionalRNN)
def compute_output_shape(self, sequences_shape, initial_state_shape=None):
    shape, state_shapes = self.forward_layer.compute_output_shape(sequences_shape), []
    if self.return_state:
        shape, *state_shapes = shape
    shape = tuple(shape)
    if self.merge_mode == "concat":
        shape = (*shape[:-1], 2 * shape[-1])
    shapes = [shape, shape] if self.merge_mode is None else [shape]
    return [*shapes, *state_shapes, *state_shapes] if self.return_state or self.merge_mode is None else shape


@add_to_class(BidirectionalRNN)
def compute_mask(self, sequences, mask=None):
    output_mask = mask if self.return_sequences else None
    masks = [output_mask] * (2 if self.merge_mode is None else 1)
    if self.return_state:
        masks += [None] * (2 * count_states(self.forward_layer))
    return masks if len(masks) > 1 else masks[0]


@add_to_class(BidirectionalRNN)
def get_config(self):
    return {**super(BidirectionalRNN, self).get_config(), "merge_mode": self.merge_mode,
            "layer": keras.saving.serialize_keras_object(self.forward_layer),
            "backward_layer": keras.saving.serialize_keras_object(self.backward_layer)}


@add_to_class(BidirectionalRNN)
@classmethod
def from_config(cls, config):
    config = dict(config)  # pop from a copy, not from the caller's dict
    layer = keras.saving.deserialize_keras_object(config.pop("layer"))
    backward_layer = keras.saving.deserialize_keras_object(config.pop("backward_layer"))
    return cls(layer, backward_layer=backward_layer, **config)


def make_next_token_task(n_samples, length=12, vocabulary=5, seed=0):
    """Random tokens, one-hot x (n, length, vocabulary); the tag of step t is the token at step t + 1: y (n, length - 1)."""
    tokens = np.random.default_rng(seed).integers(vocabulary, size=(n_samples, length))
    return np.eye(vocabulary, dtype="float32")[tokens], tokens[:, 1:]


def tagger(recurrent_layer, length=12, vocabulary=5):
    """recurrent_layer (returning sequences), drop the last step (it has no next token), softmax over the vocabulary."""
    model = keras.Sequential([keras.Input((length, vocabulary)), recurrent_layer, keras.layers.Cropping1D((0, 1)),
                              keras.layers.Dense(vocabulary, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make_match_task(n_samples, length=20, n_topics=4, n_fillers=6, seed=0):
    """One-hot sequences (n, length, n_topics + n_fillers): a topic, fillers, a topic; y (n,) = 1 if the two topics agree."""
    rng = np.random.default_rng(seed)
    first = rng.integers(n_topics, size=n_samples)
    agree = rng.random(n_samples) < 0.5
    last = np.where(agree, first, (first + rng.integers(1, n_topics, size=n_samples)) % n_topics)
    tokens = n_topics + rng.integers(n_fillers, size=(n_samples, length))
    tokens[:, 0], tokens[:, -1] = first, last
    return np.eye(n_topics + n_fillers, dtype="float32")[tokens], agree.astype("float32")


#@title Dropout's one line of Keras internals, and why (run this cell; no need to read it)
# keras.layers.RNN draws a cell's dropout masks before its loop, once per sequence, and forgets them after it, but
# only for cells that inherit DropoutRNNCell, a small class Keras uses for its own cells and does not export.
# Drawn inside the loop instead, a mask would be new at every step (the loop body is traced once and run T
# times), and a mask that must be the same at every step is the whole point. So the course's dropout inherits it,
# and this cell is the only place the course reaches into keras.src. The class keeps the two masks between steps:
# get_dropout_mask(x_t) and get_recurrent_dropout_mask(h) draw them on their first call (ones, then dropout at the
# cell's rate, from self.seed_generator) and return the same tensors until reset_dropout_mask() and
# reset_recurrent_dropout_mask() forget them. The Colab-stack check runs it with Keras 3.10 and the current Keras.
class KerasDropoutMasks(keras.src.layers.rnn.dropout_rnn_cell.DropoutRNNCell):
    """Keras's unexported DropoutRNNCell, under a name that says what it keeps: the two dropout masks."""


class WithDropout(KerasDropoutMasks):
    """Dropout for a recurrent cell, mixed in before it: SimpleRNNCell(WithDropout, SimpleRNNCell).
    While training, the step reads x_t * m_x and h_{t-1} * m_h instead of x_t and h_{t-1}; m_x and m_h hold
    0 (probability `dropout`, `recurrent_dropout`) or 1 / (1 - rate), drawn once per sequence and reused at
    every step. Other states (an LSTM's c_{t-1}) pass untouched. At inference the step is the cell's own.
    """

    def __init__(self, *args, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(*args, **kwargs)  # the cell's own __init__
        self.dropout, self.recurrent_dropout = min(1.0, max(0.0, dropout)), min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        if self.dropout or self.recurrent_dropout:  # draws the masks (made only with dropout: making one uses a seed)
            self.seed_generator = keras.random.SeedGenerator(seed)

    def dropped(self, x_t, h_prev, training):
        """(x_t * m_x, h_{t-1} * m_h) while training; (x_t, h_{t-1}) at inference or at rate 0."""
        if training and self.dropout > 0:
            x_t = x_t * self.get_dropout_mask(x_t)                   # m_x: (batch, input_dim)
        if training and self.recurrent_dropout > 0:
            h_prev = h_prev * self.get_recurrent_dropout_mask(h_prev)  # m_h: (batch, units)
        return x_t, h_prev

    def call(self, inputs, states, training=None):
        nested = isinstance(states, (list, tuple))
        h_prev, *others = states if nested else [states]
        x_t, h_in = self.dropped(inputs, h_prev, training)
        return super().call(x_t, [h_in, *others] if nested else h_in, training=training)  # the cell's own step

    def get_config(self):
        return {**super().get_config(), "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="rnn_course.dropout")
class SimpleRNNCell(WithDropout, SimpleRNNCell):
    """SimpleRNNCell (notebook 01) with dropout, recurrent_dropout and seed, as keras.layers.SimpleRNNCell."""


@keras.saving.register_keras_serializable(package="rnn_course.dropout")
class LSTMCell(WithDropout, LSTMCell):
    """LSTMCell (notebook 03) with dropout, recurrent_dropout and seed. keras.layers.LSTMCell with
    recurrent_dropout > 0 draws one mask per gate; this cell draws one m_h for all four."""


@keras.saving.register_keras_serializable(package="rnn_course.dropout")
class Recurrence(Recurrence):
    """Recurrence (notebook 01), grown for dropout: before the loop, every cell with dropout draws its masks for
    this batch of sequences (each step then reuses them); after the loop it forgets them, so the next batch draws
    new ones. keras.layers.RNN does the same, also for the cells of keras.layers.StackedRNNCells."""

    def call(self, inputs, initial_state=None, mask=None, training=None):
        cells = getattr(self.cell, "cells", [self.cell])  # one cell, or the list in keras.layers.StackedRNNCells
        batch, width = ops.shape(inputs)[0], inputs.shape[-1]
        for cell in cells:
            if hasattr(cell, "get_dropout_mask"):  # WithDropout cells, and Keras's own
                cell.get_dropout_mask(ops.zeros((batch, width), cell.compute_dtype))             # m_x
                h_size = keras.tree.flatten(cell.state_size)[0]
                cell.get_recurrent_dropout_mask(ops.zeros((batch, h_size), cell.compute_dtype))  # m_h
            width = getattr(cell, "output_size", None) or keras.tree.flatten(cell.state_size)[0]  # next input
        try:
            return super().call(inputs, initial_state=initial_state, mask=mask, training=training)
        finally:
            for cell in cells:
                if hasattr(cell, "reset_dropout_mask"):
                    cell.reset_dropout_mask(), cell.reset_recurrent_dropout_mask()
