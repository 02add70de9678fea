"""Gate bounds are finite numbers, and relative bounds follow the metric's direction:
refused when the gate is built, not passing every candidate at evaluation."""

from __future__ import annotations

import math
from typing import Any

import pytest

from driftline.exceptions import InvalidParameter
from driftline.retraining import Evaluation, FairnessGate, PerformanceGate

# A candidate worse than production on every metric.
WORSE = Evaluation(
    100,
    {"roc_auc": 0.51, "log_loss": 0.90, "disparate_impact": 0.2, "brier": 0.4},
    {"roc_auc": 0.95, "log_loss": 0.30, "disparate_impact": 0.9, "brier": 0.1},
    "model",
)


@pytest.mark.parametrize("bound", ["minimum", "maximum", "max_drop"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "0.9", True, None, [0.9]])
def test_non_finite_or_non_number_bounds_refused(bound: str, value: Any) -> None:
    if value is None:  # None means "no such bound": with no other, the gate has none
        with pytest.raises(ValueError, match="needs minimum="):
            PerformanceGate("auc", **{bound: value})
        return
    with pytest.raises(InvalidParameter, match=f"gate 'performance:roc_auc': {bound} must be"):
        PerformanceGate("auc", **{bound: value})


def test_nan_fairness_bound_refused_naming_the_gate() -> None:
    with pytest.raises(InvalidParameter, match="gate 'di-floor': minimum must be finite"):
        FairnessGate("disparate_impact", minimum=math.nan, name="di-floor")


def test_negative_relative_bound_refused() -> None:
    with pytest.raises(InvalidParameter, match="max_increase must be >= 0"):
        PerformanceGate("log_loss", max_increase=-0.1)


@pytest.mark.parametrize(
    ("gate", "hint"),
    [
        (lambda: PerformanceGate("log_loss", max_drop=0.02), "max_increase="),
        (lambda: PerformanceGate("brier", max_drop=0.02), "max_increase="),
        (lambda: PerformanceGate("auc", max_increase=0.01), "max_drop="),
        (lambda: PerformanceGate("accuracy", max_increase=0.01), "max_drop="),
        (lambda: FairnessGate("disparate_impact", max_increase=0.1), "max_drop="),
        (lambda: FairnessGate("demographic_parity_difference", max_drop=0.1), "max_increase="),
    ],
)
def test_relative_bound_against_the_metric_direction_refused(gate: Any, hint: str) -> None:
    with pytest.raises(InvalidParameter, match=hint):
        gate()


@pytest.mark.parametrize(
    ("gate", "metric"),
    [
        (PerformanceGate("log_loss", max_increase=0.02), "log_loss"),
        (PerformanceGate("auc", max_drop=0.02), "roc_auc"),
        (FairnessGate("disparate_impact", max_drop=0.1), "disparate_impact"),
    ],
)
def test_relative_bound_in_the_metric_direction_stops_a_worse_candidate(
    gate: PerformanceGate, metric: str
) -> None:
    result = gate.check(WORSE)
    assert not result.passed and result.metric == metric


def test_no_direction_metrics_take_either_bound() -> None:
    # Raw disparate impact is best at 1 from either side; selection_rate has no better way.
    FairnessGate("disparate_impact", fold=False, max_drop=0.1, max_increase=0.1)
    PerformanceGate("selection_rate", max_drop=0.1, max_increase=0.1)


@pytest.mark.parametrize(
    "metric",
    [
        "statistical_parity_difference",
        "average_odds_difference",
        "average_predictive_value_difference",
    ],
)
def test_a_signed_difference_gate_bounds_its_absolute_value(metric: str) -> None:
    # AIF360's differences are negative when a group is disadvantaged against the
    # reference: maximum=0.1 stops -0.3 as it stops 0.3.
    gate = FairnessGate(metric, maximum=0.1)
    for value, passed in [(-0.3, False), (0.3, False), (-0.05, True), (0.1, True)]:
        assert gate.check(Evaluation(100, {metric: value})).passed is (abs(value) <= 0.1)
        assert gate.check(Evaluation(100, {metric: value})).passed is passed
