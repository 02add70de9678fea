"""Performance estimated without labels (CBPE) against the same estimator written with
scikit-learn and numpy (its isotonic regression fitted on the reference, the expected
confusion counts, and the AUC with each row weighted as a positive and a negative): 2M
labelled reference rows and 2M current rows. The baseline runs first; the ratio is in
the run's summary and on the results page. DRIFTLINE_BENCH_QUICK=1 runs 1/100 size.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

import driftline as dl
from bench_data import QUICK
from bench_measure import Target, measure

N = 20_000 if QUICK else 2_000_000


def _simulate(rng: np.random.Generator, n: int, a: float, b: float) -> dict[str, np.ndarray]:
    truth = rng.beta(a, b, n)
    s = truth**1.5  # a monotone miscalibration for the calibrator to undo
    return {
        "y": (rng.random(n) < truth).astype(np.int64),
        "s": s,
        "p": (s > 0.35).astype(np.int64),
    }


@pytest.fixture(scope="module")
def sides() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(11)
    return _simulate(rng, N, 2, 2), _simulate(rng, N, 2, 5)


def cbpe_sklearn(ref: dict[str, np.ndarray], cur: dict[str, np.ndarray]) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and ROC AUC estimated as driftline does."""
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    c = iso.fit(ref["s"], ref["y"]).predict(cur["s"])
    pp = cur["p"] == 1
    tp, fp = c[pp].sum(), (1 - c[pp]).sum()
    fn, tn = c[~pp].sum(), (1 - c[~pp]).sum()
    n = len(c)
    auc = roc_auc_score(
        np.r_[np.ones(n), np.zeros(n)], np.r_[cur["s"], cur["s"]], sample_weight=np.r_[c, 1 - c]
    )
    return {
        "accuracy": (tp + tn) / n,
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "f1": 2 * tp / (2 * tp + fp + fn),
        "roc_auc": float(auc),
    }


@pytest.mark.benchmark(group="cbpe")
def test_cbpe_sklearn(benchmark, sides) -> None:  # type: ignore[no-untyped-def]
    ref, cur = sides
    measure(benchmark, lambda: cbpe_sklearn(ref, cur), label="scikit-learn + numpy", rounds=3)


@pytest.mark.benchmark(group="cbpe")
def test_cbpe_driftline(benchmark, sides) -> None:  # type: ignore[no-untyped-def]
    ref, cur = sides
    est = measure(
        benchmark,
        lambda: dl.estimate_performance(ref, cur, prediction="p", label="y", score="s"),
        label="driftline estimate_performance",
        targets=(Target("speedup", 10.0, ("scikit-learn + numpy",)),),
        rounds=3,
    )
    want = cbpe_sklearn(ref, cur)
    for name, value in want.items():
        assert getattr(est, name) == pytest.approx(value, rel=1e-9), name
