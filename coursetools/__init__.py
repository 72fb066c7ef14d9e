"""The course's tools, behind `course.py`: one module per job. Standard library only at import time, so
`python3 course.py` runs before any virtual environment exists.

    environment  the .venv, and the environment every notebook kernel runs with
    notebooks    reading and writing notebooks, their tags, definitions and carried-over cells
    package      the rnn_course package exported from the definition cells
    badges       the Colab and GitHub badges of every notebook
    execution    executing notebooks: storing outputs, claims with shifted seeds, the seed-dependent tags
    outputs      comparing outputs as nbval does; the seed-dependent tag
    colab        a stand-in for Colab's current stack
    backends     every notebook on Keras's JAX and PyTorch backends
    platforms    the wheels requirements.txt resolves to on each platform
    cli          the command line
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course.py"  # the entry point, run again inside .venv by some commands
REQUIREMENTS = ROOT / "requirements.txt"
SETTINGS = ROOT / "course.json"
NOTEBOOKS = ROOT / "notebooks"


def settings() -> dict:
    return json.loads(SETTINGS.read_text(encoding="utf-8"))
