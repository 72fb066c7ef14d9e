"""Training speed of the course's cells against their keras.layers twins, measured side by side.

    .venv/bin/python benchmarks/speed.py            # (Windows: .venv\\Scripts\\python benchmarks\\speed.py)

For each cell and sequence length: keras.layers.RNN(our cell) and the built-in layer (keras.layers.LSTM, ...)
train the same model on the same data; their epochs alternate, so both see the same machine load, and the
best of several epochs counts. Prints seconds per epoch, the ratio ours / built-in, and the same ratio
in CPU seconds of this process (steadier when other programs share the machine). Then the time
Recurrence (the course's own loop layer) needs before its first batch trains, against keras.layers.RNN.
The classes come from the rnn_course package, exported from the notebooks (`python3 course.py export`).
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_model(layer, time_steps, features):
    import keras

    model = keras.Sequential([keras.Input((time_steps, features)), layer, keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def epoch_seconds(model, x, y, batch):
    """(wall-clock seconds, CPU seconds of this process) for one epoch."""
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per model (best counts)")
    parser.add_argument(
        "--samples", type=int, default=4096, help="sequences per epoch (long enough epochs keep the ratio steady)"
    )
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 200])
    args = parser.parse_args()
    import keras
    import numpy as np

    import rnn_course

    batch, features, units = 64, 32, 64
    pairs = [
        (
            "SimpleRNNCell",
            lambda: keras.layers.RNN(rnn_course.SimpleRNNCell(units)),
            lambda: keras.layers.SimpleRNN(units),
        ),
        ("LSTMCell", lambda: keras.layers.RNN(rnn_course.LSTMCell(units)), lambda: keras.layers.LSTM(units)),
        ("GRUCell", lambda: keras.layers.RNN(rnn_course.GRUCell(units)), lambda: keras.layers.GRU(units)),
    ]
    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPU cores; batch {batch}, "
        f"{features} features, {units} units, {args.samples} samples, best of {args.epochs} epochs\n"
    )
    print(f"{'cell':<14}{'steps':>6}{'ours s/epoch':>14}{'keras s/epoch':>15}{'ratio':>8}{'CPU s ratio':>13}")
    ratios, cpu_ratios = [], []
    for length in args.lengths:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(args.samples, length, features)).astype("float32")
        y = rng.normal(size=(args.samples, 1)).astype("float32")
        for name, ours_layer, keras_layer in pairs:
            keras.utils.set_random_seed(0)
            ours, theirs = make_model(ours_layer(), length, features), make_model(keras_layer(), length, features)
            epoch_seconds(ours, x, y, batch), epoch_seconds(theirs, x, y, batch)  # first epochs: tracing
            times = {"ours": [], "theirs": []}
            for _ in range(args.epochs):  # alternate, so that both see the same load
                times["ours"].append(epoch_seconds(ours, x, y, batch))
                times["theirs"].append(epoch_seconds(theirs, x, y, batch))
            (a, a_cpu), (b, b_cpu) = (min(times[k]) for k in ("ours", "theirs"))
            a_cpu, b_cpu = min(t[1] for t in times["ours"]), min(t[1] for t in times["theirs"])
            ratios.append(a / b)
            cpu_ratios.append(a_cpu / b_cpu)
            print(f"{name:<14}{length:>6}{a:>14.3f}{b:>15.3f}{a / b:>7.2f}x{a_cpu / b_cpu:>12.2f}x", flush=True)
    print(
        f"\nlargest ratio: {max(ratios):.2f}x wall-clock, {max(cpu_ratios):.2f}x CPU time "
        "(CPU seconds of this process: less sensitive to other programs running at the same time)"
    )

    print(f"\nfirst epoch (tracing included) against later ones, LSTMCell, {args.samples} samples")
    print(f"{'layer':<38}{'steps':>6}{'first s':>9}{'later s':>9}")
    for length in args.lengths:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(args.samples, length, features)).astype("float32")
        y = rng.normal(size=(args.samples, 1)).astype("float32")
        for label, make in [
            ("Recurrence(LSTMCell)", lambda: rnn_course.Recurrence(rnn_course.LSTMCell(units))),
            ("keras.layers.RNN(LSTMCell)", lambda: keras.layers.RNN(rnn_course.LSTMCell(units))),
            ("keras.layers.LSTM", lambda: keras.layers.LSTM(units)),
        ]:
            model = make_model(make(), length, features)
            first = epoch_seconds(model, x, y, batch)[0]
            later = min(epoch_seconds(model, x, y, batch)[0] for _ in range(2))
            print(f"{label:<38}{length:>6}{first:>9.1f}{later:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
