"""Policy bounds that can fire and clear: the side of a fairness bound, folding, equality
at a ceiling, a share's clear bound, durations, and a Drift policy's columns. Expected
firings are worked out in plain Python from the documented rule."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline import policies
from driftline.exceptions import InvalidParameter
from driftline.policy_args import HIGH_IS_UNFAIR, LOW_IS_UNFAIR


def _window(i: int, **parts: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "window": f"w{i}",
        "drift": None,
        "performance": None,
        "fairness": None,
        "quality": [],
    }
    return SimpleNamespace(**{**base, **parts})


def _fired(policy: policies.Policy, windows: list[SimpleNamespace]) -> list[int]:
    return [
        i
        for i, w in enumerate(windows)
        if policy.evaluate(w, monitor="m", now=float(i)) is not None  # type: ignore[arg-type]
    ]


def _expected(values: list[float], breaches: Callable[[float], bool]) -> list[int]:
    """Windows that fire with clear at the threshold: a breach after a non-breach."""
    out, active = [], False
    for i, v in enumerate(values):
        if breaches(v) and not active:
            out.append(i)
        active = breaches(v)
    return out


def test_every_fairness_metric_has_a_side() -> None:
    assert set(policies.fairness_metrics()) == HIGH_IS_UNFAIR | LOW_IS_UNFAIR
    assert not HIGH_IS_UNFAIR & LOW_IS_UNFAIR


@pytest.mark.parametrize("metric", sorted(HIGH_IS_UNFAIR))
def test_a_minimum_on_a_difference_is_refused(metric: str) -> None:
    with pytest.raises(InvalidParameter, match=f"{metric}.*maximum="):
        policies.Fairness(metric=metric, minimum=0.1)
    assert policies.Fairness(metric=metric, maximum=0.1).threshold == 0.1


@pytest.mark.parametrize("metric", sorted(LOW_IS_UNFAIR))
def test_a_maximum_on_a_ratio_is_refused(metric: str) -> None:
    with pytest.raises(InvalidParameter, match=f"{metric}.*minimum="):
        policies.Fairness(metric=metric, maximum=1.25)
    assert policies.Fairness(metric=metric, minimum=0.8).threshold == 0.8


def test_disparate_impact_maximum_is_refused_folded_or_not() -> None:
    # Folded to min(v, 1 / v) <= 1, a maximum above 1 could never fire; minimum=0.8 is the
    # check that covers both directions.
    for fold in (None, True, False):
        with pytest.raises(InvalidParameter, match="minimum="):
            policies.Fairness(metric="disparate_impact", maximum=1.25, fold=fold)
    with pytest.raises(InvalidParameter, match="fold"):
        policies.Fairness(metric="demographic_parity_difference", maximum=0.1, fold=True)
    pol = policies.Fairness(metric="disparate_impact", minimum=0.8)
    values = [2.0, 1.0, 5.0, 0.9]
    ws = [_window(i, fairness=SimpleNamespace(disparate_impact=v)) for i, v in enumerate(values)]
    assert _fired(pol, ws) == _expected(values, lambda v: min(v, 1 / v) < 0.8) == [0, 2]


@pytest.mark.parametrize(
    ("make", "part", "metric", "bound", "higher_is_worse"),
    [
        (
            lambda: policies.Performance(metric="rmse", ceiling=0.8),
            "performance",
            "rmse",
            0.8,
            True,
        ),
        (
            lambda: policies.Performance(metric="n_null", ceiling=0),
            "performance",
            "n_null",
            0,
            True,
        ),
        (
            lambda: policies.Performance(metric="mean_error", ceiling=0.5),
            "performance",
            "mean_error",
            0.5,
            True,
        ),
        (
            lambda: policies.Fairness(metric="demographic_parity_difference", maximum=0.1),
            "fairness",
            "demographic_parity_difference",
            0.1,
            True,
        ),
        (
            lambda: policies.Performance(metric="accuracy", floor=0.8),
            "performance",
            "accuracy",
            0.8,
            False,
        ),
        (
            lambda: policies.Fairness(metric="demographic_parity_ratio", minimum=0.8),
            "fairness",
            "demographic_parity_ratio",
            0.8,
            False,
        ),
    ],
)
def test_a_value_at_the_bound_neither_fires_nor_holds_an_alert(
    make: Callable[[], policies.Policy], part: str, metric: str, bound: float, higher_is_worse: bool
) -> None:
    step = 0.05 if higher_is_worse else -0.05
    values = [bound, bound + step, bound, bound + step, bound + step, bound]
    ws = [_window(i, **{part: SimpleNamespace(**{metric: v})}) for i, v in enumerate(values)]
    # "Rises above" / "falls below": strictly, on both sides.
    rule = (lambda v: v > bound) if higher_is_worse else (lambda v: v < bound)
    assert _fired(make(), ws) == _expected(values, rule) == [1, 3]


def test_a_ceiling_trigger_says_above() -> None:
    pol = policies.Performance(metric="rmse", ceiling=0.8)
    trigger = pol.evaluate(
        _window(0, performance=SimpleNamespace(rmse=0.9)),  # type: ignore[arg-type]
        monitor="m",
        now=0.0,
    )
    assert trigger is not None and "0.9 > 0.8" in trigger.reason


def _drift(i: int, drifted: int, total: int = 4) -> SimpleNamespace:
    feats = [
        SimpleNamespace(column=f"f{j}", drifted=j < drifted, statistic=0.0) for j in range(total)
    ]
    return _window(i, drift=SimpleNamespace(features=feats))


def test_counts_still_fire_at_the_threshold() -> None:
    # "At least 2 features", "at least half of them", "1 finding": reaching the count fires.
    counts = [2, 1, 2]
    assert _fired(policies.Drift(features=2), [_drift(i, c) for i, c in enumerate(counts)]) == (
        _expected([float(c) for c in counts], lambda v: v >= 2)
    )
    assert _fired(policies.Drift(share=0.5), [_drift(0, 2)]) == [0]
    finding = [{"check": "unseen_categories", "categories": ["z"]}]
    assert _fired(policies.DataQuality(), [_window(0, quality=finding)]) == [0]


def test_a_share_clear_of_zero_is_refused() -> None:
    with pytest.raises(InvalidParameter, match="clear must be > 0"):
        policies.Drift(share=0.5, clear=0.0)
    pol = policies.Drift(share=0.5, clear=0.1)
    drifted = [4, 0, 0, 4]
    # Shares 1, 0, 0, 1: clears below 0.1 at the second window, fires again at the fourth.
    assert _fired(pol, [_drift(i, k) for i, k in enumerate(drifted)]) == [0, 3]
    assert pol.active


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_duration(value: bool) -> None:
    with pytest.raises(TypeError, match="duration"):
        policies.parse_duration(value)
    with pytest.raises(InvalidParameter, match="cooldown"):
        policies.Drift(cooldown=value)
    with pytest.raises(InvalidParameter, match="every"):
        policies.Schedule(every=value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (np.int64(3600), 3600.0),
        (np.int32(5), 5.0),
        (np.float32(1.5), 1.5),
        (np.float64(0.0), 0.0),
        (Fraction(3, 2), 1.5),
        (7, 7.0),
    ],
)
def test_real_numbers_are_seconds(value: Any, seconds: float) -> None:
    assert policies.parse_duration(value) == seconds
    assert policies.Drift(cooldown=value).cooldown == seconds


@pytest.mark.parametrize("value", [np.int64(-1), -0.5, np.float64(math.nan), math.inf])
def test_negative_or_non_finite_durations_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="finite and >= 0"):
        policies.parse_duration(value)


def _monitor(pol: policies.Policy) -> dl.Monitor:
    rng = np.random.default_rng(0)
    ref = pa.table({"x": rng.normal(size=400), "y": rng.normal(size=400)})
    return dl.Monitor(ref, features=["x", "y"], window=200, policies=[pol], dispatch="inline")


def test_a_drift_policy_column_outside_the_features_is_refused() -> None:
    with pytest.raises(InvalidParameter, match=r"'drift'.*'x_typo'.*features: 'x', 'y'"):
        _monitor(policies.Drift(columns=["x", "x_typo"]))


def test_a_drift_policy_on_a_known_column_fires() -> None:
    rng = np.random.default_rng(1)
    with _monitor(policies.Drift(columns=["x"])) as mon:
        mon.observe(pa.table({"x": rng.normal(loc=5, size=200), "y": rng.normal(size=200)}))
        (window,) = mon.history
    drifted = [f.column for f in window.drift.features if f.drifted]
    assert "x" in drifted
    assert len(window.triggers) == 1


@pytest.mark.parametrize("columns", [[], [1], ["x", None]])
def test_drift_columns_must_be_names(columns: list[Any]) -> None:
    with pytest.raises(InvalidParameter, match="columns"):
        policies.Drift(columns=columns)


@pytest.mark.parametrize(
    "metric",
    [
        "statistical_parity_difference",
        "average_odds_difference",
        "average_predictive_value_difference",
    ],
)
def test_a_signed_difference_is_bounded_on_both_sides(metric: str) -> None:
    # AIF360's differences are negative when a group is disadvantaged against the
    # reference: maximum=0.1 bounds |v|.
    pol = policies.Fairness(metric=metric, maximum=0.1)
    values = [0.0, -0.3, -0.05, 0.3, 0.1, -0.1000001]
    ws = [_window(i, fairness=SimpleNamespace(**{metric: v})) for i, v in enumerate(values)]
    assert _fired(pol, ws) == _expected(values, lambda v: abs(v) > 0.1) == [1, 3, 5]
