"""Keras's own tests of its recurrent layers, run against the course's cells.

The installed `keras` package ships the tests of `keras.layers.LSTM`, `GRU`, `SimpleRNN`, `StackedRNNCells` and
`Bidirectional` (keras/src/layers/rnn/*_test.py). Each test module is executed here afresh with its name `layers`
bound to a copy of `keras.layers` in which `LSTMCell`, `GRUCell` and `SimpleRNNCell` are the course's cells and
`LSTM`, `GRU` and `SimpleRNN` are thin loop layers around them, twice:

- "rnn": the loop is `keras.layers.RNN` (the course's cells inside Keras's loop);
- "recurrence": the loop is the course's `Recurrence`, and so is `layers.RNN`.

Keras's expected numbers, shapes, masks, states and saved configurations then test the course's code. The only
tests left out are those that check a Keras internal (EXCLUDED, each with its reason).
"""

import importlib.util
import types
import unittest
from pathlib import Path

import keras

# The course's package, its classes as the course leaves them: the cells with notebook 06's dropout (GRUCell, 07,
# is born with it) and Recurrence with notebook 08's symbolic loop, stateful and unroll.
import rnn_course  # noqa: E402

KERAS_TESTS = ["lstm_test", "gru_test", "simple_rnn_test", "stacked_rnn_cells_test", "bidirectional_test"]

# "<test module>.<class>.<method>": why it does not apply to the course's cells.
EXCLUDED = {
    "bidirectional_test.SimpleRNNTest.test_keeps_use_cudnn": "checks that Bidirectional keeps the `use_cudnn` attribute of Keras's own LSTM and GRU: a Keras internal",
    "bidirectional_test.SimpleRNNTest.test_fused_lstm_eligibility": "checks when Bidirectional runs Keras's own LSTM as one fused cuDNN kernel: a Keras internal",
    "bidirectional_test.SimpleRNNTest.test_fused_gru_eligibility": "checks when Bidirectional runs Keras's own GRU as one fused cuDNN kernel: a Keras internal",
    "gru_test.GRUTest.test_legacy_implementation_argument": "checks that Keras drops its legacy `implementation` argument from a saved config: a Keras internal",
    "gru_test.GRUTest.test_torch_cudnn_dispatch_fires": "checks that Keras's own GRU dispatches to its fused cuDNN kernel on PyTorch: a Keras internal",
}

# Arguments of keras.layers.LSTM / GRU / SimpleRNN that belong to the loop, not to the cell.
LOOP_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")
LAYER_ARGUMENTS = ("name", "trainable", "activity_regularizer")
# Keras's switches between implementations of the same equations: the course's cells have one.
IMPLEMENTATION_SWITCHES = ("implementation", "use_cudnn")


def loop_layer(loop, cell_class, variant):
    """A stand-in for keras.layers.LSTM (GRU, SimpleRNN): `loop` around the course's `cell_class`."""

    class Layer(loop):
        def __init__(self, units, **kwargs):
            for switch in IMPLEMENTATION_SWITCHES:
                kwargs.pop(switch, None)
            outer = {k: kwargs.pop(k) for k in LOOP_ARGUMENTS + LAYER_ARGUMENTS if k in kwargs}
            if "dtype" in kwargs:
                outer["dtype"] = kwargs["dtype"]
            super().__init__(cell_class(units, **kwargs), **outer)

        @property
        def units(self):
            return self.cell.units

        def get_config(self):
            config = super().get_config()
            cell = {k: v for k, v in config.pop("cell")["config"].items() if k not in ("name", "trainable", "dtype")}
            return {**config, **cell}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    name = cell_class.__name__.replace("Cell", "")
    Layer.__name__ = Layer.__qualname__ = name
    return keras.saving.register_keras_serializable(package=f"keras_suite_{variant}", name=name)(Layer)


def recurrence_loop(Recurrence):
    """Recurrence as keras.layers.RNN is called: a list of cells is stacked with keras.layers.StackedRNNCells."""

    class RNN(Recurrence):
        def __init__(self, cell, **kwargs):
            for unused in ("time_major",):
                kwargs.pop(unused, None)
            super().__init__(keras.layers.StackedRNNCells(cell) if isinstance(cell, (list, tuple)) else cell, **kwargs)

    return keras.saving.register_keras_serializable(package="keras_suite_recurrence", name="RNN")(RNN)


def course_layers(ns, variant):
    """keras.layers with the course's cells, and loop layers around them."""
    layers = types.SimpleNamespace(
        **{name: getattr(keras.layers, name) for name in dir(keras.layers) if not name.startswith("_")}
    )
    loop = keras.layers.RNN if variant == "rnn" else recurrence_loop(ns["Recurrence"])
    layers.RNN = loop
    for cell in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
        setattr(layers, cell, ns[cell])
        setattr(layers, cell.replace("Cell", ""), loop_layer(loop, ns[cell], variant))
    return layers


def excluded(reason):
    def test(self):
        self.skipTest(f"left out: {reason}")

    return test


def keras_test_classes(module_name, layers, variant):
    """The TestCase classes of one of Keras's test modules, executed afresh with `layers` as its `layers`."""
    full = f"keras.src.layers.rnn.{module_name}"
    spec = importlib.util.find_spec(full)
    module = types.ModuleType(f"keras_suite_{variant}_{module_name}")
    module.__file__ = spec.origin
    exec(compile(Path(spec.origin).read_text(encoding="utf-8"), spec.origin, "exec"), module.__dict__)
    module.layers = layers  # the tests look `layers` up when they run
    classes = {}
    for name, value in vars(module).items():
        if isinstance(value, type) and issubclass(value, unittest.TestCase) and value.__module__ == module.__name__:
            skips = {
                key.rsplit(".", 1)[1]: excluded(reason)
                for key, reason in EXCLUDED.items()
                if key.startswith(f"{module_name}.{name}.")
            }
            classes[f"{name}_{variant}"] = type(f"{name}_{variant}", (value,), {**skips, "__module__": __name__})
    return classes


NAMESPACE = vars(rnn_course)
for _variant in ("rnn", "recurrence"):
    _layers = course_layers(NAMESPACE, _variant)
    for _module in KERAS_TESTS:
        globals().update(keras_test_classes(_module, _layers, _variant))


def test_every_excluded_test_exists_in_keras():
    for key in EXCLUDED:
        module_name, class_name, method = key.split(".")
        source = Path(importlib.util.find_spec(f"keras.src.layers.rnn.{module_name}").origin).read_text()
        assert f"class {class_name}(" in source and f"def {method}(" in source, key


def test_the_suite_uses_the_course_cells():
    layers = course_layers(NAMESPACE, "recurrence")
    assert layers.LSTMCell is NAMESPACE["LSTMCell"] and issubclass(layers.LSTM, NAMESPACE["Recurrence"])
    assert isinstance(layers.GRU(2).cell, NAMESPACE["GRUCell"])
    assert isinstance(course_layers(NAMESPACE, "rnn").SimpleRNN(2).cell, NAMESPACE["SimpleRNNCell"])
