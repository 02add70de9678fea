"""Performance metrics with segment_by over 10k segments on 10M rows (against the same
metrics without segments, and a polars group-by computing them), and the exact ROC AUC of
10M scores against scikit-learn's roc_auc_score. Ratios are printed at the end (run with
-s). DRIFTLINE_BENCH_QUICK=1 runs 1/100 size.
"""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

import driftline as dl
from driftline.performance import roc_auc

QUICK = os.environ.get("DRIFTLINE_BENCH_QUICK", "1") != "0"
N = 100_000 if QUICK else 10_000_000
SEGMENTS = 100 if QUICK else 10_000
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, N)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)
    return pa.table(
        {
            "seg": rng.integers(0, SEGMENTS, N),
            "y": y,
            "s": s,
            "p": (s > 0.5).astype(np.int64),
        }
    )


def polars_segments(df: pl.DataFrame) -> pl.DataFrame:
    """Per segment: counts, accuracy, precision, recall, F1, ROC AUC (rank form), log loss,
    Brier score, mean score: the numbers driftline's segment table holds."""
    y, p, s = pl.col("y"), pl.col("p"), pl.col("s")
    eps = np.finfo(np.float64).eps
    npos = y.sum()
    nneg = pl.len() - y.sum()
    agg = df.group_by("seg").agg(
        n=pl.len(),
        tp=((y == 1) & (p == 1)).sum(),
        fp=((y == 0) & (p == 1)).sum(),
        fn=((y == 1) & (p == 0)).sum(),
        tn=((y == 0) & (p == 0)).sum(),
        auc=(s.rank("average").filter(y == 1).sum() - npos * (npos + 1) / 2) / (npos * nneg),
        log_loss=-(
            pl.when(y == 1)
            .then(s.clip(eps, 1 - eps).log())
            .otherwise((1 - s).clip(eps, 1 - eps).log())
        ).mean(),
        brier=((s - y) ** 2).mean(),
        mean_score=s.mean(),
    )
    tp, fp, fn, tn = pl.col("tp"), pl.col("fp"), pl.col("fn"), pl.col("tn")
    return agg.with_columns(
        accuracy=(tp + tn) / pl.col("n"),
        precision=tp / (tp + fp),
        recall=tp / (tp + fn),
        f1=2 * tp / (2 * tp + fp + fn),
    )


@pytest.mark.benchmark(group="performance-segments")
def test_without_segments(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    r = benchmark(dl.performance, table, prediction="p", label="y", score="s")
    assert r.roc_auc is not None
    TIMES["plain"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="performance-segments")
def test_with_segments(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    r = benchmark(dl.performance, table, prediction="p", label="y", score="s", segment_by="seg")
    assert r.segments is not None and r.segments.height == SEGMENTS
    TIMES["segments"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="performance-segments")
def test_polars_group_by(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    df = pl.from_arrow(table)
    out = benchmark(polars_segments, df).sort("seg")
    seg = dl.performance(table, prediction="p", label="y", score="s", segment_by="seg").segments
    assert seg is not None
    np.testing.assert_allclose(out["auc"].to_numpy(), seg["roc_auc"].to_numpy(), atol=1e-9)
    TIMES["polars"] = benchmark.stats.stats.median


def polars_regression(df: pl.DataFrame) -> pl.DataFrame:
    """Per segment: MAE, RMSE, MAPE, sMAPE, R2, mean error (driftline's regression table)."""
    y, p = pl.col("y_reg"), pl.col("p_reg")
    e = y - p
    eps = np.finfo(np.float64).eps
    den = y.abs() + p.abs()
    return df.group_by("seg").agg(
        n=pl.len(),
        mae=e.abs().mean(),
        rmse=(e**2).mean().sqrt(),
        mape=(e.abs() / pl.max_horizontal(y.abs(), pl.lit(eps))).mean(),
        smape=pl.when(den > 0).then(2 * e.abs() / den).otherwise(0.0).mean(),
        r2=1 - (e**2).sum() / ((y - y.mean()) ** 2).sum(),
        mean_error=e.mean(),
    )


@pytest.fixture(scope="module")
def regression_table(table: pa.Table) -> pa.Table:
    rng = np.random.default_rng(2)
    y = rng.gamma(2.0, 10.0, N)
    return pa.table({"seg": table["seg"], "y_reg": y, "p_reg": y + rng.normal(0, 3, N)})


@pytest.mark.benchmark(group="performance-segments-regression")
def test_regression_without_segments(benchmark, regression_table) -> None:  # type: ignore[no-untyped-def]
    benchmark(
        dl.performance, regression_table, prediction="p_reg", label="y_reg", task="regression"
    )
    TIMES["reg_plain"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="performance-segments-regression")
def test_regression_with_segments(benchmark, regression_table) -> None:  # type: ignore[no-untyped-def]
    r = benchmark(
        dl.performance,
        regression_table,
        prediction="p_reg",
        label="y_reg",
        task="regression",
        segment_by="seg",
    )
    assert r.segments is not None and r.segments.height == SEGMENTS
    TIMES["reg_segments"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="performance-segments-regression")
def test_regression_polars(benchmark, regression_table) -> None:  # type: ignore[no-untyped-def]
    df = pl.from_arrow(regression_table)
    out = benchmark(polars_regression, df).sort("seg")
    seg = dl.performance(
        regression_table, prediction="p_reg", label="y_reg", task="regression", segment_by="seg"
    ).segments
    assert seg is not None
    np.testing.assert_allclose(out["mae"].to_numpy(), seg["mae"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(out["r2"].to_numpy(), seg["r2"].to_numpy(), rtol=1e-6)
    TIMES["reg_polars"] = benchmark.stats.stats.median


@pytest.fixture(scope="module")
def scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, N)
    return y, rng.normal(y, 1.5)


@pytest.mark.benchmark(group="roc-auc")
def test_auc_driftline(benchmark, scores) -> None:  # type: ignore[no-untyped-def]
    y, s = scores
    got = benchmark(roc_auc, y, s)
    assert abs(got - roc_auc_score(y[:100_000], s[:100_000])) < 0.05
    TIMES["auc"] = benchmark.stats.stats.median


@pytest.mark.benchmark(group="roc-auc")
def test_auc_sklearn(benchmark, scores) -> None:  # type: ignore[no-untyped-def]
    y, s = scores
    want = benchmark.pedantic(roc_auc_score, args=(y, s), rounds=3 if not QUICK else 5)
    assert abs(roc_auc(y, s) - want) < 1e-9
    TIMES["auc_sklearn"] = benchmark.stats.stats.median


def test_zz_ratios() -> None:
    if "segments" not in TIMES:
        pytest.skip("benchmarks disabled")
    lines = [f"performance on {N:,} rows, {SEGMENTS:,} segments:"]
    lines.append(
        f"  with segments / without = {TIMES['segments'] / TIMES['plain']:.2f}x (target <= 3x)"
    )
    if "polars" in TIMES:
        lines.append(
            f"  polars group-by / driftline with segments = "
            f"{TIMES['polars'] / TIMES['segments']:.1f}x (target >= 10x)"
        )
    if "reg_segments" in TIMES:
        lines.append(
            f"  regression: with segments / without = "
            f"{TIMES['reg_segments'] / TIMES['reg_plain']:.2f}x (target <= 3x); polars group-by"
            f" / driftline = {TIMES['reg_polars'] / TIMES['reg_segments']:.1f}x (target >= 10x)"
        )
    if "auc" in TIMES and "auc_sklearn" in TIMES:
        lines.append(
            f"  exact ROC AUC: sklearn / driftline = {TIMES['auc_sklearn'] / TIMES['auc']:.1f}x"
            " (target >= 3x)"
        )
    print("\n" + "\n".join(lines))
