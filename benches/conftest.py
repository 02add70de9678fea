"""Fixtures and the terminal summary of the benchmark suites.

Sizes come from ``DRIFTLINE_BENCH_QUICK`` (see ``bench_data``); timing and ratios are in
``bench_measure``; ``benches/report.py`` turns the JSON of ``--benchmark-json`` into the
results page.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

sys.path.insert(0, os.path.dirname(__file__))

from bench_data import QUICK, WIDE_ROWS, wide_table, write_parquet
from bench_measure import BUILD, SUMMARY
from bench_targets import describe


def _build_line() -> str:
    if BUILD == "debug":
        return "WARNING: driftline._native is a DEBUG build; rebuild with `make setup` (release)"
    return f"driftline._native: {BUILD} build"


def pytest_report_header() -> list[str]:
    """Sizes and the native build, at the top of the run."""
    return [f"driftline benches: {'quick' if QUICK else 'full'} sizes", _build_line()]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints every comparison of the run."""
    if not SUMMARY:
        return
    mode = "quick" if QUICK else "full"
    terminalreporter.section(f"driftline ratios ({mode} sizes)")
    if BUILD == "debug":
        terminalreporter.write_line(_build_line(), red=True, bold=True)
    for c in SUMMARY:
        terminalreporter.write_line(f"[{c['group']}] {c['label']}: {describe(c)}")


@pytest.fixture(scope="session")
def wide() -> pa.Table:
    """The wide mixed table (20 numeric + 5 string columns)."""
    return wide_table(WIDE_ROWS)


@pytest.fixture(scope="session")
def wide_parquet(wide: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The wide table written as Parquet."""
    path = write_parquet(wide, tmp_path_factory.mktemp("wide") / "wide.parquet")
    yield path
    path.unlink(missing_ok=True)
