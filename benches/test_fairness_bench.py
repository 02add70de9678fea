"""Fairness on 1M rows with two sensitive string columns (4 x 5 groups): driftline against
fairlearn's MetricFrame with the same metrics and against a hand-written numpy version
(np.unique for the group codes, then bincount); on 10M rows against the numpy version
(full mode only). Each group's baselines run first; the ratios are in the run's summary
and on the results page. DRIFTLINE_BENCH_QUICK=1 runs 1/100 size.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from bench_data import QUICK
from bench_measure import Target, measure

N = 10_000 if QUICK else 1_000_000
NUMPY = "numpy unique+bincount"
FAIRLEARN = "fairlearn MetricFrame"


def make(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    sex = np.array(["female", "male", "nonbinary", "unknown"])[rng.integers(0, 4, n)]
    age = np.array(["18-25", "26-35", "36-50", "51-65", "65+"])[rng.integers(0, 5, n)]
    y = rng.integers(0, 2, n)
    p = (rng.random(n) < 0.3 + 0.1 * y).astype(np.int64)
    return pa.table({"sex": sex, "age": age, "y": y, "p": p})


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return make(N)


def numpy_fairness(sex: np.ndarray, age: np.ndarray, y: np.ndarray, p: np.ndarray) -> dict:
    """The same per-group numbers with numpy: group codes by np.unique, counts by bincount."""
    _, c1 = np.unique(sex, return_inverse=True)
    u2, c2 = np.unique(age, return_inverse=True)
    g = c1 * len(u2) + c2
    k = int(g.max()) + 1
    cell = np.bincount(g * 4 + y * 2 + p, minlength=4 * k).reshape(k, 4)
    tn, fp, fn, tp = cell[:, 0], cell[:, 1], cell[:, 2], cell[:, 3]
    n = cell.sum(axis=1)
    keep = n > 0
    tn, fp, fn, tp, n = tn[keep], fp[keep], fn[keep], tp[keep], n[keep]
    sel = (tp + fp) / n
    tpr = tp / (tp + fn)
    fpr = fp / (fp + tn)
    out = {
        "count": n,
        "base_rate": (tp + fn) / n,
        "selection_rate": sel,
        "tpr": tpr,
        "fpr": fpr,
        "tnr": tn / (tn + fp),
        "fnr": fn / (fn + tp),
        "precision": tp / (tp + fp),
        "accuracy": (tp + tn) / n,
        "f1": 2 * tp / (2 * tp + fp + fn),
    }
    out["dp_difference"] = sel.max() - sel.min()
    out["eo_difference"] = max(tpr.max() - tpr.min(), fpr.max() - fpr.min())
    return out


def run_fairlearn(t: pa.Table) -> float:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, f1_score, precision_score

    df = t.to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mf = MetricFrame(
            metrics={
                "count": count,
                "base_rate": lambda a, b: float(np.mean(a)),
                "selection_rate": selection_rate,
                "tpr": true_positive_rate,
                "fpr": false_positive_rate,
                "tnr": true_negative_rate,
                "fnr": false_negative_rate,
                "precision": lambda a, b: precision_score(a, b, zero_division=0),
                "accuracy": accuracy_score,
                "f1": lambda a, b: f1_score(a, b, zero_division=0),
            },
            y_true=df["y"],
            y_pred=df["p"],
            sensitive_features=df[["sex", "age"]],
        )
        return float(mf.difference()["selection_rate"])


@pytest.mark.benchmark(group="fairness-1M")
def test_numpy(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    cols = [table[c].to_numpy() for c in ("sex", "age", "y", "p")]
    out = measure(benchmark, lambda: numpy_fairness(*cols), label=NUMPY)
    f = dl.fairness(table, prediction="p", label="y", sensitive=["sex", "age"])
    np.testing.assert_allclose(f.by_group["tpr"].to_numpy(), out["tpr"], atol=1e-12)


@pytest.mark.benchmark(group="fairness-1M")
def test_fairlearn(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    d = measure(benchmark, lambda: run_fairlearn(table), label=FAIRLEARN, rounds=1, warmup=0)
    f = dl.fairness(table, prediction="p", label="y", sensitive=["sex", "age"])
    assert abs(d - f.demographic_parity_difference) < 1e-12


@pytest.mark.benchmark(group="fairness-1M")
def test_driftline(benchmark, table: pa.Table) -> None:  # type: ignore[no-untyped-def]
    f = measure(
        benchmark,
        lambda: dl.fairness(table, prediction="p", label="y", sensitive=["sex", "age"]),
        label="driftline fairness",
        targets=(Target("speedup", 100.0, (FAIRLEARN,)), Target("speedup", 2.0, (NUMPY,))),
        rounds=5,
    )
    assert f.by_group.height == 20


@pytest.fixture(scope="module")
def table_10m() -> pa.Table:
    if QUICK:
        pytest.skip("10M rows in the full benchmark only")
    return make(10_000_000, seed=1)


@pytest.mark.benchmark(group="fairness-10M")
def test_numpy_10m(benchmark, table_10m: pa.Table) -> None:  # type: ignore[no-untyped-def]
    cols = [table_10m[c].to_numpy() for c in ("sex", "age", "y", "p")]
    measure(benchmark, lambda: numpy_fairness(*cols), label=NUMPY, warmup=0)


@pytest.mark.benchmark(group="fairness-10M")
def test_driftline_10m(benchmark, table_10m: pa.Table) -> None:  # type: ignore[no-untyped-def]
    # The 1M case's floor against numpy (2x), held at 10M rows too.
    measure(
        benchmark,
        lambda: dl.fairness(table_10m, prediction="p", label="y", sensitive=["sex", "age"]),
        label="driftline fairness",
        targets=(Target("speedup", 2.0, (NUMPY,)),),
    )
