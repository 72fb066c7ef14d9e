"""01 · The simple recurrent network (Elman RNN), built by hand

Generated from notebooks/01_simple_rnn.ipynb by `python3 course.py export`: edit the notebook, not this file.
"""

import keras
import numpy as np
from keras import ops


def rnn_step(x_t, h_prev, W, U, b):
    """One Elman step in NumPy: h_t = tanh(x_t W + h_{t-1} U + b)."""
    return np.tanh(x_t @ W + h_prev @ U + b)  # (batch, units)


def numpy_rnn(x, W, U, b):
    """Run rnn_step over every step of x (batch, time, input_dim); return all h_t (batch, time, units)."""
    h = np.zeros((x.shape[0], U.shape[0]), dtype=x.dtype)  # h_0 = 0
    hs = []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, W, U, b)
        hs.append(h)
    return np.stack(hs, axis=1)


@keras.saving.register_keras_serializable(package="rnn_course")
class SimpleRNNCell(keras.layers.Layer):
    """One Elman step: h_t = activation(x_t W + b + h_{t-1} U); the output is h_t.

    Weights in keras.layers.SimpleRNNCell's order and shapes:
    W = kernel (input_dim, units), U = recurrent_kernel (units, units), b = bias (units,).
    Takes keras.layers.SimpleRNNCell's arguments, regularizers and constraints included. Not taken until
    notebook 06 adds them: dropout, recurrent_dropout and seed.
    """

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", **kwargs):
        super().__init__(**take_weight_options(self, kwargs))  # regularizers and constraints (next cell)
        self.units, self.use_bias = units, use_bias
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = self.output_size = units

    def build(self, input_shape):  # input_shape: (batch, input_dim)
        self.input_dim = check_feature_size(self, input_shape)
        self.W = self.add_weight(shape=(self.input_dim, self.units), initializer=self.kernel_initializer,
                                 name="kernel", **weight_options(self, "kernel"))
        self.U = self.add_weight(shape=(self.units, self.units), initializer=self.recurrent_initializer,
                                 name="recurrent_kernel", **weight_options(self, "recurrent"))
        self.b = self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias",
                                 **weight_options(self, "bias")) if self.use_bias else None

    def call(self, inputs, states, training=None):
        check_step_input(self, inputs)
        h_prev = states[0] if isinstance(states, (list, tuple)) else states  # (batch, units)
        z = ops.matmul(inputs, self.W)                                       # (batch, units)
        if self.use_bias:
            z = z + self.b
        h_t = self.activation(z + ops.matmul(h_prev, self.U))               # (batch, units)
        return h_t, [h_t] if isinstance(states, (list, tuple)) else h_t


# SimpleRNNCell, continued: input checks, regularizers and constraints, saving (get_config).
# Keras needs these; the equations are all in the cell above.
def add_to_class(cls):
    """Decorator: make the function below a method of `cls`, so that one class can be written over several cells."""
    def attach(method):
        function = getattr(method, "__func__", getattr(method, "fget", method))  # a classmethod or property wraps one
        setattr(cls, function.__name__, method)
        return method
    return attach


def check_feature_size(cell, input_shape):
    """The feature size of one step, input_shape[-1]; a clear error when it is unknown."""
    if input_shape[-1] is None:
        raise ValueError(f"{type(cell).__name__} needs a known feature size, got input shape {input_shape}")
    return input_shape[-1]


def check_step_input(cell, inputs):
    """Raise a clear error unless one step's input has shape (batch, input_dim) with the built input_dim."""
    shape = tuple(inputs.shape)
    if len(shape) != 2 or shape[-1] != cell.input_dim:
        raise ValueError(f"{type(cell).__name__} expected one step of shape (batch, {cell.input_dim}), got {shape}")


def take_weight_options(layer, kwargs):
    """Keep the regularizer and constraint arguments of keras.layers.SimpleRNNCell, LSTMCell and GRUCell on `layer`
    (None when not given) and return the other arguments. add_weight(**weight_options(...)) applies them."""
    for part in ("kernel", "recurrent", "bias"):
        setattr(layer, f"{part}_regularizer", keras.regularizers.get(kwargs.pop(f"{part}_regularizer", None)))
        setattr(layer, f"{part}_constraint", keras.constraints.get(kwargs.pop(f"{part}_constraint", None)))
    return kwargs


def weight_options(layer, part):
    """add_weight's regularizer and constraint for `part`: 'kernel', 'recurrent' or 'bias'."""
    return {"regularizer": getattr(layer, f"{part}_regularizer"), "constraint": getattr(layer, f"{part}_constraint")}


def weight_options_config(layer):
    """The regularizers and constraints of `layer`, as get_config saves them."""
    return {f"{part}_{kind}": keras.saving.serialize_keras_object(getattr(layer, f"{part}_{kind}"))
            for part in ("kernel", "recurrent", "bias") for kind in ("regularizer", "constraint")}


@add_to_class(SimpleRNNCell)
def get_config(self):
    return {**keras.layers.Layer.get_config(self), "units": self.units,
            "activation": keras.activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            **weight_options_config(self)}


def report(name, ours, theirs, tol=None):
    """Print the largest |ours - theirs| over a tensor or a list of tensors, and assert it is at most tol.
    The default is float32 round-off: 1e-6, or 1e-5 on JAX, which compiles Keras's built-in loops (XLA) and so adds
    float32 products in another order than our step-by-step loop (measured: up to 3.8e-6 on notebook 01's gradients)."""
    if tol is None:
        tol = 1e-5 if keras.backend.backend() == "jax" else 1e-6
    pairs = zip(ours, theirs) if isinstance(ours, (list, tuple)) else [(ours, theirs)]
    diff = max(float(np.max(np.abs(ops.convert_to_numpy(a) - ops.convert_to_numpy(b)))) for a, b in pairs)
    assert diff <= tol, f"{name}: max |Δ| = {diff:.1e} is larger than {tol:.0e}"
    print(f"{name:<34} max |Δ| = {diff:.1e}  (≤ {tol:g}) ✓")


@keras.saving.register_keras_serializable(package="rnn_course")
class Recurrence(keras.layers.Layer):
    """Run `cell` over time: for t = 1..T, (y_t, states_t) = cell(x_t, states_{t-1}); states_0 = zeros or given.
    A padded step (mask False) keeps the states and repeats y_{t-1} (zeros with zero_output_for_mask=True).
    Not taken (keras.layers.RNN has them): stateful and unroll, until notebook 08 grows this class."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        self.cell, self.return_sequences, self.return_state = cell, return_sequences, return_state
        self.go_backwards, self.zero_output_for_mask = go_backwards, zero_output_for_mask
        self.stateful, self.states = False, None  # keras.layers.Bidirectional reads them; notebook 08 adds stateful
        self.supports_masking = True

    def call(self, inputs, initial_state=None, mask=None, training=None):
        check_sequence_input(self, inputs, mask)
        states = self.first_states(inputs, initial_state)  # [s_0]: [h_0], or [h_0, c_0] for an LSTM
        if self.go_backwards:                              # read x_T first; outputs come in reading order
            inputs, mask = ops.flip(inputs, axis=1), None if mask is None else ops.flip(mask, axis=1)
        y, states = self.loop(inputs, None if mask is None else ops.cast(mask, "bool"), states, training)
        y, states = ops.cast(y, self.compute_dtype), [ops.cast(s, self.compute_dtype) for s in states]
        result = y if self.return_sequences else y[:, -1]  # (batch, time, units) or (batch, units)
        return [result, *self.nest(states)] if self.return_state else result

    def loop(self, inputs, mask, states, training):
        """A Python loop over t = 1..T (a known T). Returns every y_t, (batch, time, units), and the last states."""
        y_t, outputs = ops.zeros((ops.shape(inputs)[0], self.cell.output_size), self.cell.compute_dtype), []  # y_0
        for t in range(time_steps_of(self, inputs)):
            y_t, states = self.step(inputs[:, t], None if mask is None else mask[:, t], y_t, states, training)
            outputs.append(y_t)
        return ops.stack(outputs, axis=1), states

    def step(self, x_t, real_t, y_prev, states, training):
        """(y_t, states_t) = cell(x_t, states_{t-1}); where real_t is False, keep the states and repeat y_{t-1}."""
        y_t, new_states = self.cell(x_t, self.nest(states), training=training)
        new_states = keras.tree.flatten(new_states)  # one flat list, as the loop carries them
        if real_t is not None:
            real = real_t[:, None]  # (batch, 1)
            y_t = ops.where(real, y_t, ops.zeros_like(y_t) if self.zero_output_for_mask else y_prev)
            new_states = [ops.where(real, new, old) for new, old in zip(new_states, states)]
        return y_t, new_states


# Recurrence, continued: build, the first states, nested states, output shapes and masks, saving.
# Keras needs these; the equations are all in the cell above.
@add_to_class(Recurrence)
def build(self, input_shape):  # (batch, time, features)
    if len(input_shape) != 3:
        raise ValueError(f"{type(self).__name__} expected inputs of shape (batch, time, features), "
                         f"got {tuple(input_shape)}")
    self.features = input_shape[-1]
    if not self.cell.built:
        self.cell.build((input_shape[0], input_shape[-1]))


@add_to_class(Recurrence)
def first_states(self, inputs, initial_state):
    """The states the loop starts from, one flat list in the cell's compute dtype: zeros, or initial_state."""
    if initial_state is None:
        batch = ops.shape(inputs)[0]
        return [ops.zeros((batch, n), dtype=self.cell.compute_dtype) for n in self.state_sizes()]
    return [ops.cast(s, self.cell.compute_dtype) for s in keras.tree.flatten(initial_state)]


@add_to_class(Recurrence)
def state_sizes(self):
    """The sizes of the cell's states as one flat list (keras.layers.StackedRNNCells nests them, one list per cell)."""
    return keras.tree.flatten(self.cell.state_size)


@add_to_class(Recurrence)
def nest(self, states):
    """The flat list of states in the shape the cell takes: [h] or [h, c], or one such list per stacked cell."""
    size = self.cell.state_size
    return keras.tree.pack_sequence_as(size if isinstance(size, (list, tuple)) else [size], list(states))


@add_to_class(Recurrence)
def compute_output_shape(self, input_shape):
    batch = input_shape[0]
    result = (batch, input_shape[1], self.cell.output_size) if self.return_sequences else (batch, self.cell.output_size)
    return (result, *self.nest([(batch, n) for n in self.state_sizes()])) if self.return_state else result


@add_to_class(Recurrence)
def compute_mask(self, inputs, mask=None):
    out_mask = mask if self.return_sequences else None
    return [out_mask] + [None] * len(self.nest(self.state_sizes())) if self.return_state else out_mask


@add_to_class(Recurrence)
def get_config(self):
    return {**keras.layers.Layer.get_config(self), "cell": keras.saving.serialize_keras_object(self.cell),
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "zero_output_for_mask": self.zero_output_for_mask}


@add_to_class(Recurrence)
@classmethod
def from_config(cls, config):
    config = dict(config)  # leave the caller's dict as it was
    cell = keras.saving.deserialize_keras_object(config.pop("cell"))
    return cls(cell, **config)


def time_steps_of(layer, inputs):
    """The number of steps of inputs (batch, time, features), for a Python loop; a clear error when unknown."""
    if inputs.shape[1] is None:
        raise ValueError(f"{type(layer).__name__}'s Python loop needs a known number of steps, got inputs of shape "
                         f"{tuple(inputs.shape)}")
    return inputs.shape[1]


def check_sequence_input(layer, inputs, mask):
    """Raise a clear error unless inputs are (batch, time, features) and the mask, if any, is (batch, time)."""
    shape = tuple(inputs.shape)
    if len(shape) != 3 or shape[-1] != layer.features:
        raise ValueError(f"{type(layer).__name__} expected inputs of shape (batch, time, {layer.features}), "
                         f"got {shape}")
    if mask is not None and tuple(mask.shape) != shape[:2]:
        raise ValueError(f"{type(layer).__name__} expected a mask of shape (batch, time) = {shape[:2]}, "
                         f"got {tuple(mask.shape)}")


#@title The gradient of a loss, on any backend: `gradients` (run this cell; notebook 02 explains it)
def gradients(f, inputs, variables=()):
    """Run out = f(*inputs) and differentiate its loss L (out, or out[0] when f returns a tuple) with respect to
    each input and each Keras variable: return (out, [dL/dinput, ...] + [dL/dvariable, ...]).
    Each backend does it its own way (notebook 02 shows the three side by side): TensorFlow records f on a tape,
    JAX differentiates f as a function of the inputs and the variables' values, PyTorch runs f and asks autograd."""
    loss_of = lambda out: out[0] if isinstance(out, tuple) else out
    inputs, variables = [ops.convert_to_tensor(x) for x in inputs], list(variables)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            out = f(*inputs)
        return out, tape.gradient(loss_of(out), inputs + variables)
    if backend == "jax":
        import jax

        def loss_and_out(input_values, variable_values):
            with keras.StatelessScope(state_mapping=list(zip(variables, variable_values))):  # the variables read these
                out = f(*input_values)
            return loss_of(out), out

        (_, out), (d_inputs, d_variables) = jax.value_and_grad(loss_and_out, argnums=(0, 1), has_aux=True)(
            inputs, [v.value for v in variables])
        return out, list(d_inputs) + list(d_variables)
    if backend == "torch":
        import torch
        inputs = [x.detach().requires_grad_() for x in inputs]
        out = f(*inputs)
        targets = inputs + [v.value for v in variables]                # a Keras variable's value is a torch Parameter
        return out, list(torch.autograd.grad(loss_of(out), targets, allow_unused=True))
    raise NotImplementedError(f"gradients: no automatic differentiation written for the {backend!r} backend")


def outputs_and_gradients(layer, x, **call_kwargs):
    """Run layer on x; return (outputs, dL/dx, dL/dweights) for L = sum(first output * fixed projection)."""
    if not layer.built:  # the weights must exist before we differentiate with respect to them
        layer(x, **call_kwargs)

    def loss_and_outputs(x):
        outputs = layer(x, **call_kwargs)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        projection = ops.cast(np.random.default_rng(42).normal(size=tuple(outputs[0].shape)), outputs[0].dtype)
        return ops.sum(outputs[0] * projection), outputs

    (_, outputs), grads = gradients(loss_and_outputs, [x], layer.trainable_weights)
    return outputs, grads[0], grads[1:]


def make_sine_task(n_samples, length=20, seed=0):
    """Noisy sine waves: x (n, length, 1) and the next clean value y (n, 1)."""
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.1, 0.3, size=(n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n_samples, 1))
    t = np.arange(length + 1)[None, :]
    wave = np.sin(2 * np.pi * freq * t + phase)                            # (n, length + 1)
    x = wave[:, :length] + rng.normal(scale=0.1, size=(n_samples, length))
    return x[..., None].astype("float32"), wave[:, length:].astype("float32")


@keras.saving.register_keras_serializable(package="rnn_course")
class JordanRNNCell(keras.layers.Layer):
    """One Jordan step: h_t = activation(x_t W + y_{t-1} U + b), y_t = output_activation(h_t V + c).

    The state is the previous output y_{t-1} (output_dim,), not the hidden state. Keras has no Jordan cell;
    not taken (of keras.layers.SimpleRNNCell's arguments): dropout, recurrent_dropout, seed, regularizers, constraints.
    """

    def __init__(self, units, output_dim, activation="tanh", output_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units, self.output_dim = units, output_dim
        self.activation = keras.activations.get(activation)
        self.output_activation = keras.activations.get(output_activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.state_size = output_dim
        self.output_size = output_dim

    def build(self, input_shape):  # (batch, input_dim)
        self.input_dim = input_shape[-1]
        add = self.add_weight
        self.W = add(shape=(self.input_dim, self.units), initializer=self.kernel_initializer, name="W")
        self.U = add(shape=(self.output_dim, self.units), initializer=self.recurrent_initializer, name="U")
        self.V = add(shape=(self.units, self.output_dim), initializer=self.kernel_initializer, name="V")
        if self.use_bias:
            self.b = add(shape=(self.units,), initializer=self.bias_initializer, name="b")
            self.c = add(shape=(self.output_dim,), initializer=self.bias_initializer, name="c")

    def call(self, inputs, states, training=None):
        check_step_input(self, inputs)
        x_t = inputs                                                         # (batch, input_dim)
        y_prev = states[0] if isinstance(states, (list, tuple)) else states  # (batch, output_dim)
        z = ops.matmul(x_t, self.W) + ops.matmul(y_prev, self.U)
        h_t = self.activation(z + self.b if self.use_bias else z)           # (batch, units)
        v = ops.matmul(h_t, self.V)
        y_t = self.output_activation(v + self.c if self.use_bias else v)    # (batch, output_dim)
        return y_t, [y_t] if isinstance(states, (list, tuple)) else y_t


# JordanRNNCell, continued: saving (get_config), and the same equations in NumPy to check it against.
# Keras needs these; the equations are all in the cell above.
@add_to_class(JordanRNNCell)
def get_config(self):
    return {**super(JordanRNNCell, self).get_config(), "units": self.units, "output_dim": self.output_dim,
            "activation": keras.activations.serialize(self.activation),
            "output_activation": keras.activations.serialize(self.output_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer)}


def numpy_jordan(x, W, U, V, b, c):
    """The Jordan equations in NumPy with tanh and sigmoid; x (batch, time, input_dim) -> y (batch, time, output_dim)."""
    y = np.zeros((x.shape[0], V.shape[1]), dtype=x.dtype)  # y_0 = 0
    ys = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W + y @ U + b)
        y = 1 / (1 + np.exp(-(h @ V + c)))
        ys.append(y)
    return np.stack(ys, axis=1)


def make_bit_task(task, n_samples=1024, length=20, p_one=0.5, seed=0):
    """Random bits x (n, length, 1) and per-step targets y (n, length, 1) for 'echo' or 'latch'."""
    bits = (np.random.default_rng(seed).random((n_samples, length)) < p_one).astype("float32")
    if task == "echo":
        y = np.concatenate([np.zeros((n_samples, 1)), bits[:, :-1]], axis=1)
    else:
        y = np.maximum.accumulate(bits, axis=1)
    return bits[..., None], y[..., None].astype("float32")


def make_gap_task(n_samples, gap, n_cues=4, n_fillers=6, seed=0):
    """One-hot sequences (n, 1 + gap, n_cues + n_fillers): a cue, then `gap` fillers; the label y (n,) is the cue."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_cues, size=n_samples)
    tokens = np.concatenate([y[:, None], n_cues + rng.integers(n_fillers, size=(n_samples, gap))], axis=1)
    return np.eye(n_cues + n_fillers, dtype="float32")[tokens], y  # (n, 1 + gap, vocabulary), (n,)


def accuracy_against_gap(make_layer, gaps, seeds=(0,), n_cues=4, epochs=10):
    """Train make_layer() + a softmax on make_gap_task for each gap and seed; test accuracies (len(gaps), len(seeds))."""
    accuracy = np.zeros((len(gaps), len(seeds)))
    for i, gap in enumerate(gaps):
        x, y = make_gap_task(2048, gap, n_cues=n_cues)                   # (2048, 1 + gap, vocabulary), (2048,)
        x_test, y_test = make_gap_task(512, gap, n_cues=n_cues, seed=1)
        for j, seed in enumerate(seeds):
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.Input(x.shape[1:]), make_layer(), keras.layers.Dense(n_cues, activation="softmax")])
            model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
            accuracy[i, j] = model.evaluate(x_test, y_test, verbose=0)[1]
    return accuracy
