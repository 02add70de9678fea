"""The CPU check that stands between an old CPU and the native module."""

from __future__ import annotations

from driftline._cpu import REQUIRED_X86_FLAGS, missing_flags

FULL = "processor\t: 0\nflags\t\t: fpu sse2 " + " ".join(REQUIRED_X86_FLAGS) + " avx512f\n"


def test_a_cpu_with_every_flag_passes() -> None:
    assert missing_flags(FULL) == []


def test_missing_flags_are_named() -> None:
    old = FULL.replace(" avx2", "").replace(" fma", "")
    assert missing_flags(old) == ["avx2", "fma"]


def test_no_flags_line_lets_the_import_proceed() -> None:
    assert missing_flags("processor\t: 0\nmodel name\t: something\n") == []
