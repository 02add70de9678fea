"""Performance metrics with segment_by over 10k segments on 10M rows (against the same
metrics without segments, and a polars group-by computing them), and the exact ROC AUC of
10M scores against scikit-learn's roc_auc_score; multiclass (4 classes, 2M rows) with and
without segments. Each group's baselines run first; the ratios are in the run's summary
and on the results page. DRIFTLINE_BENCH_QUICK=1 runs 1/100 size.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

import driftline as dl
from bench_data import QUICK
from bench_measure import Target, measure
from driftline.performance import roc_auc

N = 100_000 if QUICK else 10_000_000
SEGMENTS = 100 if QUICK else 10_000


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


def _binary_numbers() -> dict[str, pl.Expr]:
    """Counts, ROC AUC (rank form), log loss, Brier score and mean score, as polars
    expressions over a frame or a group: the numbers driftline's report and segment table
    hold."""
    y, p, s = pl.col("y"), pl.col("p"), pl.col("s")
    eps = np.finfo(np.float64).eps
    npos = y.sum()
    nneg = pl.len() - y.sum()
    return dict(
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


def polars_segments(df: pl.DataFrame) -> pl.DataFrame:
    """Per segment: counts, accuracy, precision, recall, F1, ROC AUC (rank form), log loss,
    Brier score, mean score: the numbers driftline's segment table holds."""
    agg = df.group_by("seg").agg(**_binary_numbers())
    tp, fp, fn, tn = pl.col("tp"), pl.col("fp"), pl.col("fn"), pl.col("tn")
    return agg.with_columns(
        accuracy=(tp + tn) / pl.col("n"),
        precision=tp / (tp + fp),
        recall=tp / (tp + fn),
        f1=2 * tp / (2 * tp + fp + fn),
    )


@pytest.mark.benchmark(group="performance-segments")
def test_without_segments(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    r = measure(
        benchmark,
        lambda: dl.performance(table, prediction="p", label="y", score="s"),
        label="driftline without segments",
        rounds=5,
    )
    assert r.roc_auc is not None


@pytest.mark.benchmark(group="performance-segments")
def test_polars_group_by(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    df = pl.from_arrow(table)
    out = measure(benchmark, lambda: polars_segments(df), label="polars group-by", rounds=5)
    seg = dl.performance(table, prediction="p", label="y", score="s", segment_by="seg").segments
    assert seg is not None
    np.testing.assert_allclose(
        out.sort("seg")["auc"].to_numpy(), seg["roc_auc"].to_numpy(), atol=1e-9
    )


def polars_overall(df: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """The overall numbers driftline's report holds next to its segment table (those of
    :func:`_binary_numbers` over all rows) and the expected calibration error on ten
    equal-width bins (a score of 1 in the last)."""
    y, s = pl.col("y"), pl.col("s")
    overall = df.select(**_binary_numbers())
    bins = (s * 10).floor().clip(0, 9).cast(pl.Int32).alias("bin")
    cal = df.group_by(bins).agg(n=pl.len(), conf=s.mean(), acc=y.mean())
    ece = float((cal["n"] * (cal["conf"] - cal["acc"]).abs()).sum() / cal["n"].sum())
    return overall, ece


@pytest.mark.benchmark(group="performance-segments")
def test_polars_every_number(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    """Every number the segmented call returns, from polars: the group-by above and the
    overall metrics. Reported next to the group-by alone (the issue's baseline)."""
    df = pl.from_arrow(table)
    overall, ece = measure(
        benchmark,
        lambda: (polars_segments(df), *polars_overall(df))[1:],
        label="polars group-by and overall",
        rounds=5,
    )
    r = dl.performance(table, prediction="p", label="y", score="s", segment_by="seg")
    for name in ("roc_auc", "log_loss", "brier", "mean_score"):
        col = "auc" if name == "roc_auc" else name
        assert getattr(r, name) == pytest.approx(overall[col][0], rel=1e-9, abs=1e-12)
    assert r.ece == pytest.approx(ece, rel=1e-9, abs=1e-12)
    assert (r.tp, r.fp, r.fn, r.tn) == tuple(overall[k][0] for k in ("tp", "fp", "fn", "tn"))


@pytest.mark.benchmark(group="performance-segments")
def test_with_segments(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    r = measure(
        benchmark,
        lambda: dl.performance(table, prediction="p", label="y", score="s", segment_by="seg"),
        label="driftline with segments",
        targets=(
            Target("max_slowdown", 3.0, ("driftline without segments",)),
            Target("speedup", 10.0, ("polars group-by",)),
            Target("speedup", 10.0, ("polars group-by and overall",)),
        ),
        rounds=5,
    )
    assert r.segments is not None and r.segments.height == SEGMENTS


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
    measure(
        benchmark,
        lambda: dl.performance(
            regression_table, prediction="p_reg", label="y_reg", task="regression"
        ),
        label="driftline regression without segments",
        rounds=5,
    )


@pytest.mark.benchmark(group="performance-segments-regression")
def test_regression_polars(benchmark, regression_table) -> None:  # type: ignore[no-untyped-def]
    df = pl.from_arrow(regression_table)
    out = measure(benchmark, lambda: polars_regression(df), label="polars group-by", rounds=5)
    out = out.sort("seg")
    seg = dl.performance(
        regression_table, prediction="p_reg", label="y_reg", task="regression", segment_by="seg"
    ).segments
    assert seg is not None
    np.testing.assert_allclose(out["mae"].to_numpy(), seg["mae"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(out["r2"].to_numpy(), seg["r2"].to_numpy(), rtol=1e-6)


@pytest.mark.benchmark(group="performance-segments-regression")
def test_regression_with_segments(benchmark, regression_table) -> None:  # type: ignore[no-untyped-def]
    r = measure(
        benchmark,
        lambda: dl.performance(
            regression_table,
            prediction="p_reg",
            label="y_reg",
            task="regression",
            segment_by="seg",
        ),
        label="driftline regression with segments",
        targets=(
            Target("max_slowdown", 3.0, ("driftline regression without segments",)),
            Target("speedup", 10.0, ("polars group-by",)),
        ),
        rounds=5,
    )
    assert r.segments is not None and r.segments.height == SEGMENTS


@pytest.fixture(scope="module")
def scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, N)
    return y, rng.normal(y, 1.5)


@pytest.mark.benchmark(group="roc-auc")
def test_auc_sklearn(benchmark, scores) -> None:  # type: ignore[no-untyped-def]
    y, s = scores
    want = measure(
        benchmark, lambda: roc_auc_score(y, s), label="scikit-learn roc_auc_score", warmup=0
    )
    assert abs(roc_auc(y, s) - want) < 1e-9


@pytest.mark.benchmark(group="roc-auc")
def test_auc_driftline(benchmark, scores) -> None:  # type: ignore[no-untyped-def]
    y, s = scores
    got = measure(
        benchmark,
        lambda: roc_auc(y, s),
        label="driftline roc_auc (exact)",
        targets=(Target("speedup", 3.0, ("scikit-learn roc_auc_score",)),),
        rounds=5,
    )
    assert abs(got - roc_auc_score(y[:100_000], s[:100_000])) < 0.05


MC_ROWS = 20_000 if QUICK else 2_000_000
MC_CLASSES = 4


@pytest.fixture(scope="module")
def multiclass_table() -> pa.Table:
    rng = np.random.default_rng(3)
    proba = rng.dirichlet(np.ones(MC_CLASSES), MC_ROWS)
    cols = {
        "seg": rng.integers(0, SEGMENTS, MC_ROWS),
        "y": rng.integers(0, MC_CLASSES, MC_ROWS),
        "p": proba.argmax(axis=1),
    }
    cols.update({f"p{j}": proba[:, j] for j in range(MC_CLASSES)})
    return pa.table(cols)


def _multiclass(table: pa.Table, segment_by: str | None) -> dl.PerformanceReport:
    return dl.performance(
        table,
        prediction="p",
        label="y",
        score=[f"p{j}" for j in range(MC_CLASSES)],
        task="multiclass",
        segment_by=segment_by,
    )


@pytest.mark.benchmark(group="performance-segments-multiclass")
def test_multiclass_without_segments(benchmark, multiclass_table) -> None:  # type: ignore[no-untyped-def]
    measure(
        benchmark,
        lambda: _multiclass(multiclass_table, None),
        label="driftline multiclass without segments",
        rounds=5,
    )


@pytest.mark.benchmark(group="performance-segments-multiclass")
def test_multiclass_with_segments(benchmark, multiclass_table) -> None:  # type: ignore[no-untyped-def]
    r = measure(
        benchmark,
        lambda: _multiclass(multiclass_table, "seg"),
        label="driftline multiclass with segments",
        targets=(Target("max_slowdown", 3.0, ("driftline multiclass without segments",)),),
        rounds=5,
    )
    assert r.segments is not None and "roc_auc_ovr_macro" in r.segments.columns
