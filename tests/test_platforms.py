"""The course installs on Linux, macOS and Windows, and knows where its stored outputs came from."""
import json
import re

import pytest
from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename

import course

RECORD = json.loads(course.WHEELS.read_text(encoding="utf-8"))
CASES = [(target, version) for target in course.TARGETS for version in course.PYTHONS]


def test_the_wheel_record_belongs_to_this_requirements_txt():
    assert RECORD["requirements_sha256"] == course.requirements_hash(), (
        "requirements.txt changed since tests/wheels.json was recorded: run `python3 course.py wheels`")


def accepts(target, version, wheel_tags):
    """True if pip on `target` with CPython `version` can install a wheel with these tags."""
    cp = "cp" + version.replace(".", "")
    interpreters = {cp, "py3", "py" + version.replace(".", "")}
    abis = {cp, "abi3", "none"}
    platforms = set(course.TARGETS[target]["platforms"]) | {"any"}
    return any(t.interpreter in interpreters and t.abi in abis and t.platform in platforms for t in wheel_tags)


@pytest.mark.parametrize("target,version", CASES, ids=[f"{t} / Python {v}" for t, v in CASES])
def test_every_requirement_has_a_wheel_there(target, version):
    wheels = {}
    for filename in RECORD["wheels"][f"{target} / Python {version}"]:
        name, wheel_version, _, tags = parse_wheel_filename(filename)
        wheels.setdefault(canonicalize_name(name), []).append((str(wheel_version), tags))
    chosen = course.requirements_for(course.TARGETS[target]["markers"], version)
    assert chosen, "the markers left no requirement at all"
    for requirement in chosen:
        name, pinned = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", requirement).groups()
        found = [tags for v, tags in wheels.get(canonicalize_name(name.split("[")[0]), []) if v == pinned]
        assert found and any(accepts(target, version, tags) for tags in found), (
            f"{requirement} has no wheel for {target} with Python {version}")


def test_the_markers_pick_one_tensorflow_per_platform():
    for target, spec in course.TARGETS.items():
        chosen = [r for r in course.requirements_for(spec["markers"], "3.12") if r.startswith("tensorflow")]
        assert len(chosen) == 1, (target, chosen)
    assert course.requirements_for(course.TARGETS["macOS arm64"]["markers"], "3.12").count("tensorflow==2.21.0") == 1


def test_accepts_tells_platforms_apart():
    linux = parse_tag("cp312-cp312-manylinux_2_17_x86_64")
    assert accepts("Linux x86-64", "3.12", linux)
    assert not accepts("macOS arm64", "3.12", linux) and not accepts("Linux x86-64", "3.11", linux)
    assert accepts("Windows x86-64", "3.13", {Tag("py3", "none", "any")})


def test_the_reference_platform_is_recorded():
    reference = course.settings()["reference_platform"]
    assert re.fullmatch(r"\S+ \S+( \S+)?", reference)
    assert course.platform_signature().count(" ") >= 1


def fake_cpu(monkeypatch, tmp_path, flags, cap=None):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu sse sse2 " + flags + "\n")
    monkeypatch.setattr(course, "cpu_flags", lambda: set(cpuinfo.read_text().split()))
    monkeypatch.delenv("COURSE_PLATFORM", raising=False)
    if cap is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    return course.platform_signature().split()[-1]


def test_avx512_computes_as_the_avx2_reference_and_a_lower_cap_does_not(monkeypatch, tmp_path):
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2") == "avx2"
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2 avx512f avx512bw") == "avx2"  # the kernels cap oneDNN there
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2 avx512f", cap="AVX2") == "avx2"
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2 avx512f", cap=course.OTHER_CPU_ISA) == "sse41"
    assert fake_cpu(monkeypatch, tmp_path, "avx") == "avx"
    assert fake_cpu(monkeypatch, tmp_path, "asimd") == "asimd"


def test_every_kernel_caps_onednn_and_numpy_at_the_reference_unit(monkeypatch):
    assert course.KERNEL_ENV["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    monkeypatch.setattr(course, "cpu_flags", lambda: {"avx2", "avx512f"})
    assert course.kernel_settings()["NPY_DISABLE_CPU_FEATURES"] == course.NUMPY_AVX512
    monkeypatch.setattr(course, "cpu_flags", lambda: {"avx2"})  # nothing to leave out: the variable stays unset
    assert "NPY_DISABLE_CPU_FEATURES" not in course.kernel_settings()
    assert course.settings()["reference_platform"].endswith(" avx2")


def code(text, tags=(), cell_id=None, name="stdout"):
    return {"cell_type": "code", "id": cell_id, "metadata": {"tags": list(tags)} if tags else {},
            "outputs": [{"output_type": "stream", "name": name, "text": text}]}


def test_outputs_are_compared_as_nbval_compares_them():
    patterns = course.sanitize_patterns()
    picture = {"output_type": "display_data", "data": {"image/png": "AAAA", "text/plain": "<Figure>"}}
    other_picture = {"output_type": "display_data", "data": {"image/png": "BBBB", "text/plain": "<Figure>"}}
    stored = {"cells": [code("loss 0.512\n", cell_id="a"), code("max |Δ| = 1.0e-07\n", cell_id="b"),
                        {**code("", cell_id="c"), "outputs": [picture]}, code("accuracy 0.97\n", cell_id="d"),
                        {"cell_type": "markdown", "source": "text"}]}
    fresh = {"cells": [code("loss 0.512\n", cell_id="a"), code("max |Δ| = 3.0e-08\n", cell_id="b"),
                       {**code("", cell_id="c"), "outputs": [other_picture]}, code("accuracy 0.96\n", cell_id="d"),
                       {"cell_type": "markdown", "source": "text"}]}
    assert course.changed_cells(stored, fresh, patterns) == [(3, "d")]  # round-off sanitized, pictures left out
    stderr = {"cells": [code("loss 0.512\n", cell_id="a", name="stderr")]}
    assert course.changed_cells({"cells": stored["cells"][:1]}, stderr, patterns) == [(0, "a")]


def test_marks_tag_exactly_the_measured_cells_and_check_fails_on_a_difference(monkeypatch, tmp_path):
    monkeypatch.setattr(course, "ROOT", tmp_path)
    notebook = tmp_path / "nb.ipynb"
    nb = {"cells": [code("a", tags=[course.SEED_TAG], cell_id="x"), code("b", cell_id="y"),
                    code("c", tags=["definition"], cell_id="z")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    course.write_nb(notebook, nb)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"label": "seeds +1", "changed": {"nb.ipynb": ["y", "z"]}}))
    args = course.main.__globals__["argparse"].Namespace(reports=[str(report)], check=True, notebooks=[])
    assert course.cmd_marks(args) == 1                     # x is tagged but did not change; y and z changed
    assert course.read_nb(notebook) == json.loads(notebook.read_text())  # --check changes nothing
    args.check = False
    assert course.cmd_marks(args) == 0
    tags = [c["metadata"].get("tags", []) for c in course.read_nb(notebook)["cells"]]
    assert tags == [[], [course.SEED_TAG], ["definition", course.SEED_TAG]]
    args.check = True
    assert course.cmd_marks(args) == 0


def test_off_the_reference_only_tagged_cells_go_uncompared():
    nb = {"cells": [code("a", cell_id="p"), {"cell_type": "markdown", "source": ""},
                    code("b", tags=[course.SEED_TAG], cell_id="q")]}
    assert course.seed_dependent_cells(nb) == {1: "q"}
