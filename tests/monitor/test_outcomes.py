"""Windows with labels and sensitive columns: performance and fairness, and their policies."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score

import driftline as dl


def table(rng: np.random.Generator, n: int, noise: float, bias: float = 0.0) -> pa.Table:
    x = rng.normal(size=n)
    group = rng.choice(["a", "b"], n)
    y = (x > 0).astype(np.int64)
    flip = rng.random(n) < noise
    pred = np.where(flip, 1 - y, y)
    pred = np.where((group == "b") & (rng.random(n) < bias), 0, pred)
    return pa.table({"x": x, "group": group, "y": y, "pred": pred})


def test_performance_and_fairness_windows(rng: np.random.Generator) -> None:
    ref = table(rng, 5000, 0.05)
    mon = dl.Monitor(
        ref,
        features=["x"],
        prediction="pred",
        label="y",
        sensitive="group",
        window=2000,
        dispatch="manual",
        policies=[
            dl.policies.Performance(metric="accuracy", floor=0.85),
            dl.policies.Fairness(metric="demographic_parity_ratio", minimum=0.8),
        ],
    )
    good = table(rng, 2000, 0.05)
    mon.observe(good)
    w = mon.history[-1]
    assert w.errors == []
    assert w.performance.accuracy == pytest.approx(
        accuracy_score(np.asarray(good["y"]), np.asarray(good["pred"]))
    )
    assert w.fairness.demographic_parity_ratio > 0.8
    assert w.triggers == []
    bad = table(rng, 2000, 0.25, bias=0.6)
    mon.observe(bad)
    w = mon.history[-1]
    assert w.performance.accuracy < 0.85
    assert w.fairness.demographic_parity_ratio < 0.8
    assert sorted(t.kind for t in w.triggers) == ["fairness", "performance"]


def test_unlabelled_rows_skip_performance(rng: np.random.Generator) -> None:
    ref = table(rng, 2000, 0.05)
    mon = dl.Monitor(
        ref, features=["x"], prediction="pred", label="y", window=1000, dispatch="manual"
    )
    cur = table(rng, 1000, 0.05)
    y = pa.array(np.asarray(cur["y"]), mask=np.arange(1000) >= 400)
    mon.observe(cur.set_column(2, "y", y))
    perf = mon.history[-1].performance
    assert perf is not None
    assert perf.to_dict()  # computed on the 400 labelled rows
