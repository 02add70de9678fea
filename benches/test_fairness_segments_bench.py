"""Fairness with segment_by over 100k segments on 1M rows (one sensitive column of four
groups): driftline against a polars group-by computing the same per-segment aggregates
(each group's confusion counts by (segment, group), then per segment the spreads of the
selection rate, TPR and FPR). driftline computes more per segment (all twelve
aggregates, with the reference-group comparisons and the Theil index) and the overall
report, and stays within 2x of the baseline (the target is that floor). The baseline runs
first; the ratio is in the run's summary and on the results page.
DRIFTLINE_BENCH_QUICK=1 runs 1/100 size.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import driftline as dl
from bench_data import QUICK
from bench_measure import Target, measure

N = 10_000 if QUICK else 1_000_000
SEGMENTS = 1_000 if QUICK else 100_000
POLARS = "polars group-by"


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(3)
    g = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, N)]
    y = rng.integers(0, 2, N)
    return pa.table(
        {
            "seg": rng.integers(0, SEGMENTS, N),
            "g": g,
            "y": y,
            "p": (rng.random(N) < 0.3 + 0.2 * y).astype(np.int64),
        }
    )


def polars_segments(df: pl.DataFrame) -> pl.DataFrame:
    """Per segment: demographic parity, equal opportunity and equalized odds differences
    over its groups (max - min of the defined rates), as driftline's segment table."""
    y, p = pl.col("y"), pl.col("p")
    cells = df.group_by("seg", "g").agg(
        tp=((y == 1) & (p == 1)).sum(),
        fp=((y == 0) & (p == 1)).sum(),
        fn=((y == 1) & (p == 0)).sum(),
        tn=((y == 0) & (p == 0)).sum(),
    )
    tp, fp, fn, tn = pl.col("tp"), pl.col("fp"), pl.col("fn"), pl.col("tn")
    rates = cells.with_columns(
        sel=(tp + fp) / (tp + fp + fn + tn),
        tpr=pl.when(tp + fn > 0).then(tp / (tp + fn)),
        fpr=pl.when(fp + tn > 0).then(fp / (fp + tn)),
    )
    spread = {c: pl.col(c).max() - pl.col(c).min() for c in ("sel", "tpr", "fpr")}
    out = rates.group_by("seg").agg(n_groups=pl.len(), **spread)
    return out.with_columns(
        demographic_parity_difference=pl.when(pl.col("n_groups") > 1).then(pl.col("sel")),
        equal_opportunity_difference=pl.col("tpr"),
        equalized_odds_difference=pl.max_horizontal("tpr", "fpr"),
    )


def run(t: pa.Table) -> dl.FairnessReport:
    return dl.fairness(
        t, prediction="p", label="y", sensitive="g", segment_by="seg", min_group_size=0
    )


@pytest.mark.benchmark(group="fairness-segments")
def test_polars_group_by(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    df = pl.from_arrow(table)
    out = measure(benchmark, lambda: polars_segments(df), label=POLARS, rounds=3).sort("seg")
    seg = run(table).segments
    assert seg is not None and seg.height == out.height
    np.testing.assert_allclose(
        seg["demographic_parity_difference"].to_numpy().astype(float),
        out["demographic_parity_difference"].to_numpy().astype(float),
        atol=1e-12,
    )


@pytest.mark.benchmark(group="fairness-segments")
def test_driftline(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    f = measure(
        benchmark,
        lambda: run(table),
        label="driftline fairness with segments",
        targets=(Target("speedup", 0.5, (POLARS,)),),
        rounds=5,
    )
    assert f.segments is not None and f.segments.height > 0.99 * SEGMENTS
