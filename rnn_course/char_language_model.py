"""08 · A character-level language model: the capstone

Generated from notebooks/08_char_language_model.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops
from .simple_rnn import add_to_class, Recurrence
from .bidirectional_lstm import Recurrence


def context_codes(ids, k, vocab_size):
    """The k ids before each position t as one integer (base vocab_size); -1 where fewer than k ids precede t."""
    if k == 0:
        return np.zeros(len(ids), dtype="int64")                       # the empty context, the same everywhere
    code = np.zeros(len(ids) - k, dtype="int64")
    for j in range(k):                                                 # oldest first
        code = code * vocab_size + ids[j:len(ids) - k + j]
    return np.concatenate([np.full(k, -1, dtype="int64"), code])       # (len(ids),)


def ngram_counts(ids, max_order, vocab_size):
    """For each context length k < max_order: (sorted context codes, counts (contexts, vocab_size) of the next id)."""
    tables = []
    for k in range(max_order):
        keys, rows = np.unique(context_codes(ids, k, vocab_size)[k:], return_inverse=True)
        counts = np.zeros((len(keys), vocab_size))
        np.add.at(counts, (rows, ids[k:]), 1)
        tables.append((keys, counts))
    return tables


def kneser_ney(tables, ids, order, discount=0.75):
    """Interpolated Kneser-Ney: row t is p(next = b | the order - 1 ids before t), shape (len(ids), vocab_size)."""
    vocab_size = tables[0][1].shape[1]
    p = np.full((len(ids), vocab_size), 1 / vocab_size)                # below order 1: uniform
    for k in range(order):                                             # context length k, shortest first
        keys, counts = tables[k]
        if k < order - 1:  # a lower order counts continuations: after how many different ids (h, b) was seen
            longer_keys, longer_counts = tables[k + 1]
            counts = np.zeros_like(counts)
            shorter = longer_keys % vocab_size**k                      # each longer context without its oldest id
            np.add.at(counts, np.searchsorted(keys, shorter), longer_counts > 0)  # +1 per different oldest id
        codes = context_codes(ids, k, vocab_size)                      # the context h of every position
        row = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)  # its row in the table (clipped, checked next)
        c = np.where((keys[row] == codes)[:, None], counts[row], 0.0)  # c(h b), (len(ids), V); 0 for an unseen h
        total, seen_after = c.sum(axis=1, keepdims=True), (c > 0).sum(axis=1, keepdims=True)  # c(h), N1+(h •)
        # p_k(b | h) = (max(c(h b) - d, 0) + d N1+(h •) p_{k-1}(b | h')) / c(h); an unseen h keeps p_{k-1}
        p = np.where(total > 0, (np.maximum(c - discount, 0) + discount * seen_after * p) / np.maximum(total, 1), p)
    return p


@keras.saving.register_keras_serializable(package="rnn_course.stateful")
class Recurrence(Recurrence):
    """Recurrence (notebooks 01 and 06), grown for long texts:
    - keras.ops.scan runs the step symbolically, traced once: any number of steps, even one known only when a
      batch arrives; unroll=True keeps notebook 01's Python loop (a known length; XLA compiles it);
    - stateful=True starts each batch from the last batch's final states (reset_state() zeros them), so windows
      cut from one long text in order are read as one stream: truncated backpropagation through time.
    """

    def __init__(self, cell, stateful=False, unroll=False, **kwargs):
        super().__init__(cell, **kwargs)
        self.stateful, self.unroll = stateful, unroll
        self.states = None  # with stateful=True: one variable per state, made in build

    def first_states(self, inputs, initial_state):
        if initial_state is None and self.stateful:
            initial_state = [ops.convert_to_tensor(state) for state in self.states]  # the last batch's final states
        return super().first_states(inputs, initial_state)

    def loop(self, inputs, mask, states, training):
        y, states = (super().loop if self.unroll else self.scan_loop)(inputs, mask, states, training)
        if self.stateful:  # keep the final states for the next batch
            for kept, state in zip(self.states, states):
                kept.assign(ops.cast(state, kept.dtype))
        return y, states

    def scan_loop(self, inputs, mask, states, training):
        """Notebook 01's loop as one keras.ops.scan over the time axis: (y (batch, time, units), final states)."""
        if mask is not None:  # scan reads one tensor per step: the inputs, with the mask as one more column
            inputs = ops.concatenate([inputs, ops.cast(mask, inputs.dtype)[:, :, None]], axis=-1)

        def scan_step(carry, xs_t):  # carry = [y_{t-1}, *states_{t-1}]; xs_t = x_t (and real_t), (batch, ...)
            x_t, real_t = (xs_t, None) if mask is None else (xs_t[:, :-1], xs_t[:, -1] > 0.5)
            y_t, new_states = self.step(x_t, real_t, carry[0], carry[1:], training)
            return [y_t, *new_states], [y_t, *new_states]  # scan stacks outputs shaped like the carry (TensorFlow)

        y_0 = ops.zeros((ops.shape(inputs)[0], self.cell.output_size), self.cell.compute_dtype)
        final, stacked = ops.scan(scan_step, [y_0, *states], ops.transpose(inputs, (1, 0, 2)))  # time first
        return ops.transpose(stacked[0], (1, 0, 2)), list(final[1:])


# Recurrence, continued: the kept states (build, reset_state), XLA, saving.
# Keras needs these; the loops are all in the cell above.
@add_to_class(Recurrence)
def build(self, input_shape):  # (batch, time, features)
    super(Recurrence, self).build(input_shape)
    # On TensorFlow, XLA cannot take the gradient of keras.ops.scan's loop: with compile(jit_compile=True) Keras
    # then trains without XLA and warns, as for its own cuDNN layers. The unrolled loop compiles with XLA.
    self.supports_jit = self.unroll or keras.backend.backend() != "tensorflow"
    if self.stateful and self.states is None:
        if input_shape[0] is None:
            raise ValueError("Recurrence(stateful=True) needs a fixed batch size: start the model with "
                             f"keras.Input(batch_shape=(batch, time, features)), got input shape {tuple(input_shape)}")
        zeros = [np.zeros((input_shape[0], n), dtype=self.variable_dtype) for n in self.state_sizes()]
        # Not weights (as in keras.layers.RNN): left out of get_weights() and of saved files.
        object.__setattr__(self, "states", [keras.Variable(z, trainable=False, name="state") for z in zeros])


@add_to_class(Recurrence)
def reset_state(self):
    """Set the kept states (stateful=True) back to zeros."""
    for state in self.states or []:
        state.assign(ops.zeros(state.shape, dtype=state.dtype))  # zeros_like does not take a variable on JAX


@add_to_class(Recurrence)
def reset_states(self):
    """The other name Keras uses: reset_state."""
    return self.reset_state()


@add_to_class(Recurrence)
def get_config(self):
    return {**super(Recurrence, self).get_config(), "stateful": self.stateful, "unroll": self.unroll}
