"""Helpers shared by the layer checks: inputs, masks, outputs with gradients, comparisons, each notebook's own
classes when loading, and the checks every per-notebook module runs (edge cases, the keras.layers.RNN /
StackedRNNCells / Bidirectional trio, save and load, bad input)."""
import contextlib
import itertools

import numpy as np
import tensorflow as tf

TOL = {"float32": 2e-5, "float64": 1e-12}

# Every combination of the options a recurrent layer must honour like its built-in twin (32 cases).
OPTION_NAMES = "return_sequences,return_state,go_backwards,use_initial_state,padded"
OPTIONS = list(itertools.product([False, True], repeat=5))


# Mask shapes the built-ins define the behaviour for: right padding, left padding, holes, and a row with no real
# step at all (its outputs and final states are what keras.layers.RNN gives: zeros or the initial states).
MASK_KINDS = ["right", "left", "holes", "empty_row"]

# (batch, time, dtype, padded, go_backwards): batch of one, one step, float64.
EDGE_CASES = [
    (1, 6, "float32", False, False), (1, 6, "float32", True, True),
    (4, 1, "float32", False, False), (4, 1, "float32", False, True),
    (3, 8, "float64", False, False), (3, 8, "float64", True, True), (1, 1, "float64", False, True),
]


def make_inputs(batch, time, features, dtype, padded, seed=0):
    """Random inputs (batch, time, features) and, if padded, a right-padded mask with varied lengths
    (padded=True or "right"), or one of the other MASK_KINDS."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, features)).astype(dtype)
    if not padded:
        return x, None
    lengths = 1 + rng.integers(time, size=batch)  # at least one real step
    lengths[0] = time
    right = np.arange(time)[None, :] < lengths[:, None]
    kind = "right" if padded is True else padded
    if kind == "right":
        return x, right
    if kind == "left":
        return x, right[:, ::-1].copy()
    holes = rng.random((batch, time)) < 0.6
    holes[0] = True
    if kind == "holes":
        return x, holes
    assert kind == "empty_row" and batch > 1
    holes[1] = False  # row 1 has no real step
    return x, holes


def run_with_gradients(layer, x, **kwargs):
    """Outputs as a list, and d(loss)/d(x, weights[, initial states]) for a loss that weighs every output element
    differently. With an initial_state in kwargs its gradients come last, one per state tensor."""
    x = tf.convert_to_tensor(x)
    initial = kwargs.get("initial_state")
    if initial is not None:
        initial = tf.nest.map_structure(tf.convert_to_tensor, initial)
        kwargs = {**kwargs, "initial_state": initial}
    with tf.GradientTape() as tape:
        tape.watch(x)
        if initial is not None:
            tape.watch(tf.nest.flatten(initial))
        outputs = tf.nest.flatten(layer(x, **kwargs))  # output, then every state (nested for stacked cells)
        loss = sum(tf.reduce_sum(o * tf.cast(np.random.default_rng(i).normal(size=o.shape), o.dtype))
                   for i, o in enumerate(outputs))
    sources = [x, *layer.trainable_weights, *([] if initial is None else tf.nest.flatten(initial))]
    return [o.numpy() for o in outputs], [g.numpy() for g in tape.gradient(loss, sources)]


def assert_close(ours, theirs, tol):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=tol, rtol=tol)


def build_and_copy(ours, theirs, x):
    """Build both layers on x, then give ours the weights of theirs."""
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())


def assert_twins_match(ours, theirs, x, tol, **call_kwargs):
    """Copy theirs' weights into ours; outputs, states, gradients and parameter counts must match."""
    build_and_copy(ours, theirs, x)
    (o1, g1), (o2, g2) = run_with_gradients(ours, x, **call_kwargs), run_with_gradients(theirs, x, **call_kwargs)
    assert_close(o1, o2, tol)
    assert_close(g1, g2, tol)
    assert ours.count_params() == theirs.count_params()
    return o1


def assert_saves_and_loads(tmp_path, recurrent_layer):
    """A model holding recurrent_layer (after a Masking layer, on a padded batch) saves to a .keras file and
    loads back with the same layer types, the same weights and exactly the same outputs. Returns both models."""
    import keras

    x, _ = make_inputs(2, 5, 3, "float32", False)
    x[1, 3:] = 0.0  # padded steps, masked by the Masking layer
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.Masking(0.0), recurrent_layer, keras.layers.Dense(2)])
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    for saved, restored in zip(model.layers, loaded.layers, strict=True):  # the very classes, cells included
        assert [type(part) for part in layer_parts(restored)] == [type(part) for part in layer_parts(saved)]
    for saved, restored in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, restored)
    return model, loaded


def layer_parts(layer):
    """layer and, depth first, the layers and cells inside it (cell, cells, forward/backward layers, ...)."""
    parts = [layer]
    for name in ("cell", "cells", "forward_layer", "backward_layer", "recurrences"):
        inner = getattr(layer, name, None)
        for part in inner if isinstance(inner, (list, tuple)) else [inner]:
            if part is not None and hasattr(part, "get_config"):
                parts += layer_parts(part)
    return parts


def own_objects(namespace):
    """{"rnn_course>LSTMCell": the class, ...} for the course's registered layer classes in `namespace`."""
    import keras

    objects = {}
    for obj in namespace.values():
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer):
            name = keras.saving.get_registered_name(obj)
            if name.startswith("rnn_course>"):
                objects[name] = obj
    return objects


@contextlib.contextmanager
def own_classes(namespace):
    """Within it, Keras deserializes the course's registered names ("rnn_course>LSTMCell", ...) to the classes of
    `namespace`, one notebook's own, not to whichever notebook's copy registered that name last. A custom object
    scope alone is not enough: while loading a model Keras merges the global registry over it, so the registry
    (keras.saving.get_custom_objects(), a live dict) holds this notebook's classes until the block ends."""
    import keras

    objects = own_objects(namespace)
    registry = keras.saving.get_custom_objects()
    before = {name: registry[name] for name in objects if name in registry}
    registry.update(objects)
    try:
        with keras.saving.custom_object_scope(objects):
            yield objects
    finally:
        for name in objects:
            registry.pop(name, None)
        registry.update(before)


def without_modules(config):
    """config with every "module" entry removed. The tests load several notebooks, whose carried-over copies of a
    class register under the same name, so which notebook's module a config names depends on the loading order."""
    if isinstance(config, dict):
        return {k: without_modules(v) for k, v in config.items() if k != "module"}
    if isinstance(config, list):
        return [without_modules(v) for v in config]
    return config
