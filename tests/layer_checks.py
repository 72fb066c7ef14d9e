"""Helpers shared by the layer checks: inputs, masks, outputs with gradients, comparisons."""
import itertools

import numpy as np
import tensorflow as tf

TOL = {"float32": 2e-5, "float64": 1e-12}

# Every combination of the options a recurrent layer must honour like its built-in twin (32 cases).
OPTION_NAMES = "return_sequences,return_state,go_backwards,use_initial_state,padded"
OPTIONS = list(itertools.product([False, True], repeat=5))


def make_inputs(batch, time, features, dtype, padded, seed=0):
    """Random inputs (batch, time, features) and, if padded, a right-padded mask with varied lengths."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, time, features)).astype(dtype)
    if not padded:
        return x, None
    lengths = 1 + rng.integers(time, size=batch)  # at least one real step
    lengths[0] = time
    return x, np.arange(time)[None, :] < lengths[:, None]


def run_with_gradients(layer, x, **kwargs):
    """Outputs as a list, and d(loss)/d(x, weights) for a loss that weighs every output element differently."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = tf.nest.flatten(layer(x, **kwargs))  # output, then every state (nested for stacked cells)
        loss = sum(tf.reduce_sum(o * tf.cast(np.random.default_rng(i).normal(size=o.shape), o.dtype))
                   for i, o in enumerate(outputs))
    return [o.numpy() for o in outputs], [g.numpy() for g in tape.gradient(loss, [x, *layer.trainable_weights])]


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
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    for saved, restored in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, restored)
    return model, loaded


def without_modules(config):
    """config with every "module" entry removed. The tests load several notebooks, whose carried-over copies of a
    class register under the same name, so which notebook's module a config names depends on the loading order."""
    if isinstance(config, dict):
        return {k: without_modules(v) for k, v in config.items() if k != "module"}
    if isinstance(config, list):
        return [without_modules(v) for v in config]
    return config
