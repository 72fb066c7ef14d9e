"""The course installs on Linux, macOS and Windows: coursetools/platforms.py and its record of wheels."""

import json
import re

import pytest
from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename

from coursetools import environment, platforms

RECORD = json.loads(platforms.WHEELS.read_text(encoding="utf-8"))
CASES = [(target, version) for target in platforms.TARGETS for version in platforms.PYTHONS]


def test_the_wheel_record_belongs_to_this_requirements_txt():
    assert RECORD["requirements_sha256"] == environment.requirements_hash(), (
        "requirements.txt changed since tests/data/wheels.json was recorded: run `python3 course.py wheels`"
    )


def accepts(target, version, wheel_tags):
    """True if pip on `target` with CPython `version` can install a wheel with these tags."""
    cp = "cp" + version.replace(".", "")
    interpreters = {cp, "py3", "py" + version.replace(".", "")}
    abis = {cp, "abi3", "none"}
    tags = set(platforms.TARGETS[target]["platforms"]) | {"any"}
    return any(t.interpreter in interpreters and t.abi in abis and t.platform in tags for t in wheel_tags)


@pytest.mark.parametrize("target,version", CASES, ids=[f"{t} / Python {v}" for t, v in CASES])
def test_every_requirement_has_a_wheel_there(target, version):
    wheels = {}
    for filename in RECORD["wheels"][f"{target} / Python {version}"]:
        name, wheel_version, _, tags = parse_wheel_filename(filename)
        wheels.setdefault(canonicalize_name(name), []).append((str(wheel_version), tags))
    chosen = platforms.requirements_for(platforms.TARGETS[target]["markers"], version)
    assert chosen, "the markers left no requirement at all"
    for requirement in chosen:
        name, pinned = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", requirement).groups()
        found = [tags for v, tags in wheels.get(canonicalize_name(name.split("[")[0]), []) if v == pinned]
        assert found and any(accepts(target, version, tags) for tags in found), (
            f"{requirement} has no wheel for {target} with Python {version}"
        )


def test_the_markers_pick_one_tensorflow_per_platform():
    for target, spec in platforms.TARGETS.items():
        chosen = [r for r in platforms.requirements_for(spec["markers"], "3.12") if r.startswith("tensorflow")]
        assert len(chosen) == 1, (target, chosen)
    assert (
        platforms.requirements_for(platforms.TARGETS["macOS arm64"]["markers"], "3.12").count("tensorflow==2.21.0") == 1
    )


def test_accepts_tells_platforms_apart():
    linux = parse_tag("cp312-cp312-manylinux_2_17_x86_64")
    assert accepts("Linux x86-64", "3.12", linux)
    assert not accepts("macOS arm64", "3.12", linux) and not accepts("Linux x86-64", "3.11", linux)
    assert accepts("Windows x86-64", "3.13", {Tag("py3", "none", "any")})
