"""A segmented profile's table (``Profile.segment_table``: a row per segment, per-column
null rate, mean, std, min, max, distinct) against reading the same numbers segment by
segment through ``Profile.segments`` (what a user would otherwise loop over), in the same
run: 20,000 segments x 3 numeric columns (quick: 2,000).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import driftline as dl
from bench_data import QUICK
from bench_measure import Target, measure

SEGMENTS = 2_000 if QUICK else 20_000
COLUMNS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def profile() -> dl.Profile:
    rng = np.random.default_rng(0)
    n = SEGMENTS * 50
    data: dict[str, Any] = {"k": rng.integers(0, SEGMENTS, n)}
    data.update({c: rng.normal(size=n) for c in COLUMNS})
    return dl.profile(data, segment_by="k")


def _loop(p: dl.Profile) -> list[tuple[Any, ...]]:
    rows = []
    for key, seg in p.segments.items():
        for c in COLUMNS:
            col = seg[c]
            rows.append((key, c, col.null_rate, col.mean, col.std, col.min, col.max))
    return rows


@pytest.mark.benchmark(group="profile-segment-table")
def test_loop_over_segments(benchmark: Any, profile: dl.Profile) -> None:
    rows = measure(benchmark, lambda: _loop(profile), label="loop over Profile.segments")
    assert len(rows) == SEGMENTS * len(COLUMNS)


@pytest.mark.benchmark(group="profile-segment-table")
def test_segment_table(benchmark: Any, profile: dl.Profile) -> None:
    table = measure(
        benchmark,
        lambda: profile.segment_table(COLUMNS),
        label="Profile.segment_table",
        targets=(Target("speedup", 10.0, ("loop over Profile.segments",)),),
        rounds=5,
    )
    assert table.height == SEGMENTS
    assert table["a.mean"][0] == profile.segments[table["segment"][0]]["a"].mean
