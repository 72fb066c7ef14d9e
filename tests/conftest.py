"""Every test finds the course's tools (coursetools/) and its package (rnn_course/) at the repository root;
pytest.ini puts tests/support (helpers) and tests/plugins (the reference-platform plugin) on the path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
