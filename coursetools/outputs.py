"""Outputs as nbval compares them, and the cells measured to depend on the seeds."""

from pathlib import Path

from . import ROOT

# Cells whose output changes when the seeds move (their numbers come out of training or of random draws): measured
# by `course.py marks`, tagged in the notebook, and the only cells left uncompared off the reference platform.
SEED_TAG = "seed-dependent"
SANITIZE = ROOT / "tests" / "data" / "sanitize.cfg"


def seed_dependent_cells(nb: dict) -> dict:
    """{code cell number (from 0, as nbval counts): cell id} for the cells tagged SEED_TAG: measured to print
    something else when the seeds move, so off the reference platform their output is not compared."""
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return {n: c.get("id") for n, c in enumerate(code) if SEED_TAG in c.get("metadata", {}).get("tags", [])}


def sanitize_patterns(path: Path = None) -> list:
    """[(compiled regex, replacement)] from tests/data/sanitize.cfg, the file nbval reads."""
    import configparser
    import re

    config = configparser.ConfigParser()
    config.read(path or SANITIZE, encoding="utf-8")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


# What nbval leaves out of a comparison: pictures (their bytes differ by Matplotlib version), widgets' ids.
UNCOMPARED_DATA = ("image/png", "image/jpeg", "application/vnd.jupyter.widget-view+json")


def comparable_output(cell: dict, patterns) -> list:
    """A code cell's outputs as nbval compares them: the text of each stream (by name), each kind of data
    (pictures excepted) and each error, sanitized."""

    def clean(text):
        text = "".join(text) if isinstance(text, list) else str(text)
        for regex, replace in patterns:
            text = regex.sub(replace, text)
        return text

    streams, rest = {}, []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            streams[out.get("name")] = streams.get(out.get("name"), "") + clean(out.get("text", ""))
        elif kind == "error":
            rest.append(("error", out.get("ename"), clean(out.get("evalue", ""))))
        else:
            rest += [
                (key, clean(value)) for key, value in sorted(out.get("data", {}).items()) if key not in UNCOMPARED_DATA
            ]
    return sorted(streams.items()) + rest


def changed_cells(stored: dict, fresh: dict, patterns) -> list:
    """(code cell number, cell id) of every code cell whose fresh output differs from the stored one."""
    pairs = zip(
        [c for c in stored["cells"] if c["cell_type"] == "code"],
        [c for c in fresh["cells"] if c["cell_type"] == "code"],
    )
    return [
        (n, old.get("id"))
        for n, (old, new) in enumerate(pairs)
        if comparable_output(old, patterns) != comparable_output(new, patterns)
    ]
