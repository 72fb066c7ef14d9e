"""05 · Stacked LSTMs: adding depth

Generated from notebooks/05_stacked_lstm.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import add_to_class, Recurrence, check_sequence_input


@keras.saving.register_keras_serializable(package="rnn_course")
class StackedRNN(keras.layers.Layer):
    """Stacked recurrent layers, one cell each. One step of layer l:
    (h^(l)_t, states^(l)_t) = cell_l(h^(l-1)_t, states^(l)_{t-1}), with h^(0)_t = x_t.

    Runs layer by layer, one Recurrence per cell, so the weights come cell by cell, as in
    keras.layers.StackedRNNCells. return_state gives [output, states of layer 1, ..., states of layer L], each a
    list such as [h_T, c_T]; initial_state takes the same per-layer lists. go_backwards reads backwards once, at
    the bottom. Not taken (keras.layers.RNN(StackedRNNCells(cells)) has them): stateful, unroll, and cells
    with dropout (notebook 08's Recurrence(keras.layers.StackedRNNCells(cells)) takes all three).
    """

    def __init__(self, cells, return_sequences=False, return_state=False, go_backwards=False,
                 zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        check_cells(self, cells)
        self.return_sequences, self.return_state, self.go_backwards = return_sequences, return_state, go_backwards
        self.supports_masking, self.stateful, self.states = True, False, None  # keras.layers.Bidirectional reads them
        top = len(cells) - 1
        self.recurrences = [Recurrence(cell, return_sequences=return_sequences or l < top,  # below the top: sequences
                                       return_state=True, dtype=self.dtype_policy)
                            for l, cell in enumerate(cells)]
        self.zero_output_for_mask = zero_output_for_mask

    def call(self, inputs, initial_state=None, mask=None, training=None):
        check_sequence_input(self, inputs, mask)
        states_0 = self.states_per_layer(initial_state)
        y = ops.flip(inputs, axis=1) if self.go_backwards else inputs  # read backwards once, at the bottom
        if mask is not None and self.go_backwards:
            mask = ops.flip(mask, axis=1)                                # the mask travels with its steps
        self.recurrences[-1].zero_output_for_mask = self.zero_output_for_mask  # keras.layers.Bidirectional sets it
        final_states = []
        for layer, states in zip(self.recurrences, states_0):
            y, *states_T = layer(y, initial_state=states, mask=mask, training=training)  # (batch, time, units_l)
            final_states.append(states_T)
        return [y, *final_states] if self.return_state else y


# StackedRNN, continued: the cells checked, build, initial states per layer, output shapes and masks, saving.
# Keras needs these; the equations are all in the cell above.
def check_cells(layer, cells):
    """Raise a clear error unless cells is a non-empty list of cells (layers with a state_size)."""
    if not isinstance(cells, (list, tuple)) or not cells or not all(hasattr(c, "state_size") for c in cells):
        raise ValueError(f"{type(layer).__name__} expected a non-empty list of cells (layers with a state_size), "
                         f"got {cells!r}")


@add_to_class(StackedRNN)
@property
def cells(self):
    """The cells, bottom to top (as keras.layers.StackedRNNCells.cells)."""
    return [layer.cell for layer in self.recurrences]


@add_to_class(StackedRNN)
def build(self, input_shape):  # (batch, time, features)
    if len(input_shape) != 3:
        raise ValueError(f"StackedRNN expected inputs of shape (batch, time, features), got {tuple(input_shape)}")
    self.features = input_shape[-1]
    shape = tuple(input_shape)
    for layer in self.recurrences:
        layer.build(shape)
        shape = (shape[0], shape[1], layer.cell.output_size)  # the next layer reads these outputs


@add_to_class(StackedRNN)
def states_per_layer(self, initial_state):
    """initial_state as one list of states per layer, [[h, c], [h, c], ...]; [None, ...] when not given."""
    if initial_state is None:
        return [None] * len(self.recurrences)
    given = [list(s) if isinstance(s, (list, tuple)) else [s] for s in initial_state]
    want = [layer.state_sizes() for layer in self.recurrences]
    got = [[tuple(s.shape) for s in states] for states in given]
    if [[shape[-1] for shape in shapes] for shapes in got] != want:
        raise ValueError(f"StackedRNN expected initial_state as one list per layer, with state sizes {want}, "
                         f"got shapes {got}")
    return given


@add_to_class(StackedRNN)
def compute_output_shape(self, input_shape):
    batch, units = input_shape[0], self.recurrences[-1].cell.output_size
    output = (batch, input_shape[1], units) if self.return_sequences else (batch, units)
    if not self.return_state:
        return output
    return [output, *[[(batch, n) for n in layer.state_sizes()] for layer in self.recurrences]]


@add_to_class(StackedRNN)
def compute_mask(self, inputs, mask=None):
    output_mask = mask if self.return_sequences else None
    if not self.return_state:
        return output_mask
    return [output_mask, *[[None] * len(layer.state_sizes()) for layer in self.recurrences]]


@add_to_class(StackedRNN)
def get_config(self):
    return {**super(StackedRNN, self).get_config(), "cells": [keras.saving.serialize_keras_object(c) for c in self.cells],
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "zero_output_for_mask": self.zero_output_for_mask}


@add_to_class(StackedRNN)
@classmethod
def from_config(cls, config):
    config = dict(config)  # leave the caller's dict as it was
    cells = [keras.saving.deserialize_keras_object(c) for c in config.pop("cells")]
    return cls(cells, **config)


def make_disagreement_task(n_samples, length=13, seed=0):
    """Two random bits per step, x (n, length, 2); y (n,) is 1 when the bits differ at more than half the steps."""
    bits = np.random.default_rng(seed).integers(2, size=(n_samples, length, 2))
    disagree = bits[..., 0] != bits[..., 1]                        # (n, length): XOR at every step
    return bits.astype("float32"), (2 * disagree.sum(axis=1) > length).astype("int64")
