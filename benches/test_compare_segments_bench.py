"""Benchmarks of per-segment drift, ``dl.compare(..., segment_by=)``, against what a user
would otherwise write, in the same run.

* ``compare-segments``: 2,000 SKUs x 26 weeks per side, 5 numeric features, from two
  segmented profiles. Baselines: one ``dl.compare`` per segment over the same precomputed
  segment profiles, and a scipy loop (``ks_2samp`` per segment and feature on the
  polars-partitioned raw values, then Holm per segment). Target: >= 3x the faster.

``DRIFTLINE_BENCH_QUICK=1`` (the default) shrinks it to 200 SKUs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

import driftline as dl
from bench_data import QUICK
from bench_measure import Target, measure
from driftline.drift.correction import adjust

SKUS = 200 if QUICK else 2_000
WEEKS = 26
FEATURES = [f"f{i}" for i in range(5)]


def _table(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    keys = np.repeat([f"SKU-{i:05d}" for i in range(SKUS)], WEEKS)
    return pl.DataFrame({"sku": keys, **{f: rng.normal(size=SKUS * WEEKS) for f in FEATURES}})


@pytest.fixture(scope="module")
def sides() -> dict[str, Any]:
    ref, cur = _table(1), _table(2)
    return {
        "ref": ref,
        "cur": cur,
        "pref": dl.profile(ref, segment_by="sku"),
        "pcur": dl.profile(cur, segment_by="sku"),
    }


def _loop_of_compares(pref: dl.Profile, pcur: dl.Profile) -> int:
    drifted = 0
    for k in pref.segments:
        drifted += dl.compare(pref.segments[k], pcur.segments[k]).drifted
    return drifted


def _scipy_loop(ref: pl.DataFrame, cur: pl.DataFrame) -> int:
    a = ref.partition_by("sku", as_dict=True)
    b = cur.partition_by("sku", as_dict=True)
    drifted = 0
    for k, part in a.items():
        other = b[k]
        ps = [sps.ks_2samp(part[f].to_numpy(), other[f].to_numpy()).pvalue for f in FEATURES]
        drifted += min(adjust(ps, "holm")) < 0.05
    return drifted


@pytest.mark.benchmark(group="compare-segments")
def test_loop_of_compares(benchmark: Any, sides: dict[str, Any]) -> None:
    measure(
        benchmark,
        lambda: _loop_of_compares(sides["pref"], sides["pcur"]),
        label="dl.compare per segment",
        rounds=1,
    )


@pytest.mark.benchmark(group="compare-segments")
def test_scipy_per_segment_loop(benchmark: Any, sides: dict[str, Any]) -> None:
    measure(
        benchmark,
        lambda: _scipy_loop(sides["ref"], sides["cur"]),
        label="scipy ks_2samp per segment",
        rounds=1,
    )


@pytest.mark.benchmark(group="compare-segments")
def test_driftline_segment_by(benchmark: Any, sides: dict[str, Any]) -> None:
    r = measure(
        benchmark,
        lambda: dl.compare(sides["pref"], sides["pcur"], segment_by="sku"),
        label="dl.compare(segment_by=)",
        targets=(Target("speedup", 3.0, ("dl.compare per segment", "scipy ks_2samp per segment")),),
        rounds=3,
    )
    assert r.segments.height == SKUS
