#!/usr/bin/env python3
"""Set up, open, test and maintain the course. Needs only Python 3.10+.

    python3 course.py lab        # create .venv, install requirements.txt, open JupyterLab on the course map
    python3 course.py test       # create .venv, install requirements.txt, run the whole test suite
    python3 course.py setup      # only create .venv and install requirements.txt
    python3 course.py execute    # re-run every notebook from a fresh kernel and store its outputs
    python3 course.py execute notebooks/01_simple_rnn.ipynb   # ... or only the ones named
    python3 course.py badges --repo OWNER/NAME   # point every "Open in Colab" badge at a fork
    python3 course.py carry      # refresh every "carried over" cell from the original definitions
    python3 course.py claims --seed-shift 3   # run every notebook with all seeds moved by 3; report failing claims
    python3 course.py marks      # measure which cells print something else when the seeds move; tag them
    python3 course.py export     # write the rnn_course package from the notebooks' definition cells
    python3 course.py times      # write the recorded run times into the README, overviews and lessons
    python3 course.py colab      # run every notebook on a stand-in for Colab's current stack (course.json)
    python3 course.py site       # build the course as a website into _site/; --check opens every page in Chromium
    python3 course.py backend jax     # run every notebook on Keras's JAX backend (assertions; outputs not compared)
    python3 course.py backend torch   # ... on PyTorch: builds .venv-torch/ from requirements-torch.txt the first time
    python3 course.py wheels     # record which wheels requirements.txt needs on Linux, macOS and Windows

Extra arguments after `test` go to pytest, e.g. `python3 course.py test -k layers`.
"""

import sys

if sys.version_info < (3, 10):
    sys.exit(f"The course needs Python 3.10 or newer; this is {sys.version.split()[0]}.")

from coursetools.cli import main  # noqa: E402  (the jobs live in coursetools/, one module each)

if __name__ == "__main__":
    sys.exit(main(description=__doc__))
