"""The Performance policy knows which way each metric gets worse: a floor for metrics where
higher is better, a ceiling for errors and losses (a floor on MAE would fire while the
model does well), either for numbers with no better direction. A real regression monitor
fires on the window whose MAE (checked against scikit-learn) rises above the ceiling."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import mean_absolute_error

import driftline as dl
from driftline import policies
from driftline.exceptions import InvalidParameter


def fired(policy: policies.Policy, values: list[float]) -> list[int]:
    out = []
    for i, v in enumerate(values):
        w = SimpleNamespace(window=f"w{i}", performance=SimpleNamespace(**{policy.metric: v}))
        if policy.evaluate(w, monitor="m", now=float(i)) is not None:  # type: ignore[arg-type, attr-defined]
            out.append(i)
    return out


@pytest.mark.parametrize("metric", sorted(policies.LOWER_IS_BETTER))
def test_an_error_metric_fires_above_its_ceiling(metric: str) -> None:
    pol = policies.Performance(metric=metric, ceiling=2.0, clear=1.5)
    assert fired(pol, [1.0, 2.5, 1.8, 1.0, 3.0]) == [1, 4]


@pytest.mark.parametrize("metric", sorted(policies.LOWER_IS_BETTER))
def test_an_error_metric_refuses_a_floor(metric: str) -> None:
    with pytest.raises(InvalidParameter, match="better when lower: bound it with ceiling="):
        policies.Performance(metric=metric, floor=2.0)


@pytest.mark.parametrize("metric", sorted(policies.HIGHER_IS_BETTER))
def test_a_score_metric_fires_below_its_floor_and_refuses_a_ceiling(metric: str) -> None:
    assert fired(policies.Performance(metric=metric, floor=0.8), [0.9, 0.7, 0.85]) == [1]
    with pytest.raises(InvalidParameter, match="better when higher: bound it with floor="):
        policies.Performance(metric=metric, ceiling=0.8)


def test_baseline_and_drop_follow_the_metric_direction() -> None:
    assert policies.Performance(metric="rmse", baseline=2.0, drop=0.5).threshold == 2.5
    assert policies.Performance(metric="r2", baseline=0.9, drop=0.1).threshold == 0.8
    # The strictest bound decides: the lower ceiling, the higher floor.
    assert policies.Performance(metric="mae", ceiling=3.0, baseline=2.0, drop=0.5).threshold == 2.5
    assert policies.Performance(metric="f1", floor=0.7, baseline=0.9, drop=0.1).threshold == 0.8
    with pytest.raises(InvalidParameter, match="clear must be at or below"):
        policies.Performance(metric="mae", ceiling=2.0, clear=2.5)


def test_a_number_without_direction_takes_one_bound() -> None:
    above = policies.Performance(metric="mean_error", ceiling=0.5)
    below = policies.Performance(metric="mean_error", floor=-0.5)
    assert fired(above, [0.0, 0.7, -0.7]) == [1]
    assert fired(below, [0.0, 0.7, -0.7]) == [2]
    for kwargs in ({}, {"floor": -0.5, "ceiling": 0.5}, {"baseline": 0.0, "drop": 0.1}):
        with pytest.raises(InvalidParameter):
            policies.Performance(metric="mean_error", **kwargs)


def test_a_regression_monitor_fires_when_mae_rises() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    x = rng.normal(size=n)
    ref = pa.table({"x": x, "y": x * 2, "pred": x * 2 + rng.normal(0, 0.1, n)})
    mon = dl.Monitor(
        ref,
        features=["x"],
        prediction="pred",
        label="y",
        task="regression",
        window=1000,
        dispatch="manual",
        policies=[policies.Performance(metric="mae", ceiling=0.5)],
    )
    good_err, bad_err = rng.normal(0, 0.1, 1000), rng.normal(0, 2.0, 1000)
    xs = rng.normal(size=1000)
    for err in (good_err, bad_err):
        mon.observe(pa.table({"x": xs, "y": xs * 2, "pred": xs * 2 + err}))
    maes = [w.performance.mae for w in mon.history]
    want = [mean_absolute_error(xs * 2, xs * 2 + e) for e in (good_err, bad_err)]
    np.testing.assert_allclose(maes, want, rtol=1e-9)
    assert want[0] < 0.5 < want[1]
    assert mon.triggers_fired == 1
