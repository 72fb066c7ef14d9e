"""The badge row (Open in Colab, view source) of every notebook, generated from course.json."""

import json
from pathlib import Path

from . import ROOT, SETTINGS, settings
from .notebooks import BADGE_TAG, all_notebooks, read_nb, write_nb


def badge_markdown(nb_path: Path, repository: str, branch: str) -> str:
    """The badge row for one notebook, pointing at its own path in `repository`."""
    rel = nb_path.resolve().relative_to(ROOT).as_posix()
    colab = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{rel}"
    source = f"https://github.com/{repository}/blob/{branch}/{rel}"
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})\n"
        f"[![View source on GitHub](https://img.shields.io/badge/view%20source-GitHub-black?logo=github)]({source})"
    )


def badge_cell_index(nb: dict) -> int:
    for i, cell in enumerate(nb["cells"][:3]):
        if BADGE_TAG in cell.get("metadata", {}).get("tags", []):
            return i
    raise ValueError("no markdown cell tagged 'badges' among the first three cells")


def cmd_badges(args) -> int:
    conf = settings()
    if args.repo or args.branch:
        conf["repository"] = args.repo or conf["repository"]
        conf["branch"] = args.branch or conf["branch"]
        SETTINGS.write_text(json.dumps(conf, indent=2) + "\n", encoding="utf-8")
    for path in all_notebooks():
        nb = read_nb(path)
        cell = nb["cells"][badge_cell_index(nb)]
        cell["source"] = badge_markdown(path, conf["repository"], conf["branch"])
        write_nb(path, nb)
        print(f"badges -> {conf['repository']}@{conf['branch']}: {path.relative_to(ROOT)}")
    return 0
