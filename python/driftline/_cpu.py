"""Checks, before the native module loads, that this CPU runs the code it was built for.

The module is compiled for x86-64-v3 (``.cargo/config.toml``); on an older x86 CPU its
first vector instruction would kill the interpreter with SIGILL. Checking the CPU flags
first turns that into an ``ImportError`` that says what is missing.
"""

from __future__ import annotations

import platform
from pathlib import Path

__all__ = ["REQUIRED_X86_FLAGS", "check_cpu", "missing_flags"]

#: The x86-64-v3 features the compiler may use (as ``/proc/cpuinfo`` names them).
REQUIRED_X86_FLAGS = ("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe")


def missing_flags(cpuinfo: str) -> list[str]:
    """The required flags absent from a ``/proc/cpuinfo`` text (first processor)."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            have = set(line.partition(":")[2].split())
            return [f for f in REQUIRED_X86_FLAGS if f not in have]
    return []  # no flags line: nothing to go on, let the import proceed


def check_cpu() -> None:
    """Raises ImportError on a Linux x86-64 CPU without the features the build uses."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    missing = missing_flags(text)
    if missing:
        raise ImportError(
            "driftline's native module is built for x86-64-v3 CPUs; this CPU lacks "
            f"{', '.join(missing)}. Rebuild it for this machine with RUSTFLAGS='' "
            "(maturin develop --release)"
        )
