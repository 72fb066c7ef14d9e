"""The layers on the JAX backend: tests/jax_checks.py in a fresh process with KERAS_BACKEND=jax."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_layers_match_the_built_ins_on_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [sys.executable, str(HERE / "jax_checks.py")],
        cwd=HERE.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"jax checks failed:\n{run.stdout}\n{run.stderr[-6000:]}"
    assert "jax checks passed" in run.stdout
