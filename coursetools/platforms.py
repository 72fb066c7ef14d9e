"""Where learners install the course: the wheels requirements.txt resolves to on each platform."""

import json
import subprocess
import sys
from pathlib import Path

from . import REQUIREMENTS, ROOT
from .environment import in_venv, requirements_hash, rerun_in_venv

# Where learners install the course: the environment markers pip evaluates there, and the wheel platform tags
# it accepts there. `course.py wheels` records, for each, the wheel files requirements.txt resolves to.
TARGETS = {
    "Linux x86-64": {
        "markers": {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "os_name": "posix",
        },
        "platforms": [
            "manylinux_2_17_x86_64",
            "manylinux2014_x86_64",
            "manylinux_2_27_x86_64",
            "manylinux_2_28_x86_64",
        ],
    },
    "macOS arm64": {
        "markers": {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "platform_machine": "arm64",
            "os_name": "posix",
        },
        "platforms": [
            "macosx_11_0_arm64",
            "macosx_12_0_arm64",
            "macosx_13_0_arm64",
            "macosx_14_0_arm64",
            "macosx_10_9_universal2",
        ],
    },
    "Windows x86-64": {
        "markers": {
            "sys_platform": "win32",
            "platform_system": "Windows",
            "platform_machine": "AMD64",
            "os_name": "nt",
        },
        "platforms": ["win_amd64"],
    },
}
PYTHONS = ["3.11", "3.12", "3.13"]
WHEELS = ROOT / "tests" / "data" / "wheels.json"


def cmd_wheels(args) -> int:
    """Record, for every target platform and Python, the wheels pip would install for requirements.txt."""
    if not in_venv():
        return rerun_in_venv(["wheels"])
    import tempfile

    from packaging.markers import Marker  # noqa: F401  (fail early if packaging is missing)

    record = {"requirements_sha256": requirements_hash(), "wheels": {}}
    for target, spec in TARGETS.items():
        for version in PYTHONS:
            with tempfile.TemporaryDirectory() as tmp:
                report = Path(tmp) / "report.json"
                command = [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--dry-run",
                    "--quiet",
                    "--ignore-installed",
                    "--only-binary=:all:",
                    "--python-version",
                    version,
                    "--target",
                    str(Path(tmp) / "t"),
                    "--report",
                    str(report),
                    *[f"--platform={p}" for p in spec["platforms"]],
                    *requirements_for(spec["markers"], version),
                ]
                done = subprocess.run(command)
                files = (
                    []
                    if done.returncode
                    else sorted(
                        item["download_info"]["url"].rsplit("/", 1)[-1]
                        for item in json.loads(report.read_text())["install"]
                    )
                )
            record["wheels"][f"{target} / Python {version}"] = files
            print(f"{target} / Python {version}: {len(files)} wheels" + ("" if files else "  (resolution FAILED)"))
    WHEELS.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8", newline="\n")
    return 0


def requirements_for(markers: dict, python_version: str) -> list:
    """The lines of requirements.txt whose environment markers hold on the given platform and Python."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment = {
        **default_environment(),
        **markers,
        "python_version": python_version,
        "python_full_version": python_version + ".0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    chosen = []
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                chosen.append(f"{requirement.name}{requirement.specifier}")
    return chosen
