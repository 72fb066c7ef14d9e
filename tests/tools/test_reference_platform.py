"""tests/plugins/reference_platform.py: which machines compute as the reference platform of the stored outputs, and
what the kernels are told so that they do."""

import re

import reference_platform
from coursetools import environment, settings


def test_the_reference_platform_is_recorded():
    reference = settings()["reference_platform"]
    assert re.fullmatch(r"\S+ \S+( \S+)?", reference)
    assert reference_platform.platform_signature().count(" ") >= 1


def fake_cpu(monkeypatch, tmp_path, flags, cap=None):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu sse sse2 " + flags + "\n")
    monkeypatch.setattr(reference_platform, "cpu_flags", lambda: set(cpuinfo.read_text().split()))
    monkeypatch.delenv("COURSE_PLATFORM", raising=False)
    if cap is None:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    else:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    return reference_platform.platform_signature().split()[-1]


def test_avx512_computes_as_the_avx2_reference_and_a_lower_cap_does_not(monkeypatch, tmp_path):
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2") == "avx2"
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2 avx512f avx512bw") == "avx2"  # the kernels cap oneDNN there
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2 avx512f", cap="AVX2") == "avx2"
    assert fake_cpu(monkeypatch, tmp_path, "avx avx2 avx512f", cap=environment.OTHER_CPU_ISA) == "sse41"
    assert fake_cpu(monkeypatch, tmp_path, "avx") == "avx"
    assert fake_cpu(monkeypatch, tmp_path, "asimd") == "asimd"


def test_every_kernel_caps_onednn_at_the_reference_unit():
    assert environment.kernel_settings()["ONEDNN_MAX_CPU_ISA"] == "AVX2"
    assert settings()["reference_platform"].endswith(" avx2")
