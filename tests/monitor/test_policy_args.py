"""Policy arguments are checked when the policy is built (InvalidParameter naming the
argument), and Fairness folds disparate impact so that the four-fifths rule holds
whichever group is favoured."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline import policies
from driftline.exceptions import InvalidParameter


@dataclass
class FakeWindow:
    window: str
    fairness: Any = None


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: policies.Drift(features=2, clear=1), "clear_features"),
        (lambda: policies.Drift(features=0), "features must be an integer >= 1"),
        (lambda: policies.Drift(features=-2), "features must be an integer >= 1"),
        (lambda: policies.Drift(features=1.5), "features"),
        (lambda: policies.Drift(share=1.5), "share must be <= 1"),
        (lambda: policies.Drift(share=0.0), "share must be > 0"),
        (lambda: policies.Drift(share=math.nan), "share must be finite"),
        (lambda: policies.Drift(share=0.5, clear_features=1), "clear_features"),
        (lambda: policies.Drift(share=0.5, features=2), "features"),
        (lambda: policies.Drift(share=0.5, clear=math.nan), "clear must be finite"),
        (lambda: policies.Drift(features=2, clear_features=2), "clear_features must be below"),
        (lambda: policies.Drift(features=2, clear_features=-1), "clear_features"),
        (lambda: policies.Drift(columns="price"), "columns"),
        (lambda: policies.Drift(consecutive=0), "consecutive"),
        (lambda: policies.Drift(cooldown="-1h"), "cooldown"),
        (lambda: policies.Performance(floor=math.nan), "floor must be finite"),
        (lambda: policies.Performance(floor=math.inf), "floor must be finite"),
        (lambda: policies.Performance(baseline=0.9, drop=math.nan), "drop must be finite"),
        (lambda: policies.Performance(baseline=0.9, drop=-0.1), "drop must be >= 0"),
        (lambda: policies.Performance(floor=0.8, drop=0.1), "baseline= and drop="),
        (lambda: policies.Performance(metric="acuracy", floor=0.8), "unknown metric 'acuracy'"),
        (lambda: policies.Fairness(metric="disparate_impact", minimum=math.nan), "minimum"),
        (lambda: policies.Fairness(metric="disparte_impact", minimum=0.8), "unknown metric"),
        (lambda: policies.DataQuality(null_rate_increase=math.nan), "null_rate_increase"),
        (lambda: policies.DataQuality(range_violations=-0.1), "range_violations"),
        (lambda: policies.DataQuality(findings=0), "findings"),
        (lambda: policies.Schedule(every="0s"), "every"),
        (lambda: policies.Schedule(every="1y"), "every"),
    ],
)
def test_bad_arguments_are_refused_at_construction(make: Any, match: str) -> None:
    with pytest.raises(InvalidParameter, match=match):
        make()


def test_unknown_performance_metric_lists_the_known_ones() -> None:
    with pytest.raises(InvalidParameter) as info:
        policies.Performance(metric="acuracy", floor=0.8)
    for name in ("accuracy", "f1", "roc_auc", "recall", "rmse", "f1_macro"):
        assert name in str(info.value)


def test_every_listed_performance_metric_is_reported() -> None:
    binary = dl.performance(
        {"y": [0, 1, 1, 0], "p": [0, 1, 0, 0], "s": [0.1, 0.9, 0.4, 0.2]},
        prediction="p",
        label="y",
        score="s",
    ).to_dict()
    multi = dl.performance(
        {
            "y": [0, 1, 2, 0],
            "p": [0, 1, 0, 2],
            "s0": [0.5, 0.2, 0.3, 0.3],
            "s1": [0.2, 0.5, 0.3, 0.3],
            "s2": [0.3, 0.3, 0.4, 0.4],
        },
        prediction="p",
        label="y",
        score=["s0", "s1", "s2"],
        task="multiclass",
    ).to_dict()
    regression = dl.performance(
        {"y": [0.0, 1.0, 2.0], "p": [0.5, 1.0, 1.5]}, prediction="p", label="y", task="regression"
    ).to_dict()
    reported = set(binary) | set(multi) | set(regression)
    assert set(policies.PERFORMANCE_METRICS) <= reported


def test_valid_arguments_still_build() -> None:
    assert policies.Drift().threshold == 1.0
    assert policies.Drift(features=3, clear_features=1).clear == 2.0
    assert policies.Drift(share=0.5, clear=0.25).clear == 0.25
    assert policies.Performance(metric="f1", floor=0.7).threshold == 0.7
    assert policies.Performance(baseline=0.9, drop=0.05, floor=0.8).threshold == 0.85
    assert policies.DataQuality(null_rate_increase=None).null_rate_increase is None


@pytest.mark.parametrize(
    ("value", "breach"),
    [(0.7, True), (1 / 0.7, True), (4.569, True), (0.9, False), (1.1, False), (1.0, False)],
)
def test_disparate_impact_is_folded(value: float, breach: bool) -> None:
    pol = policies.Fairness(metric="disparate_impact", minimum=0.8)
    fired = pol.evaluate(
        FakeWindow("w0", SimpleNamespace(disparate_impact=value)),  # type: ignore[arg-type]
        monitor="m",
        now=0.0,
    )
    assert (fired is not None) == breach
    # fold=False keeps the raw comparison: a ratio above 1 never breaches a minimum.
    raw = policies.Fairness(metric="disparate_impact", minimum=0.8, fold=False)
    raw_fired = raw.evaluate(
        FakeWindow("w0", SimpleNamespace(disparate_impact=value)),  # type: ignore[arg-type]
        monitor="m",
        now=0.0,
    )
    assert (raw_fired is not None) == (value < 0.8)


def test_four_fifths_breach_when_reference_group_is_disadvantaged() -> None:
    # Group "a" (the larger, so the reference group) is selected at 0.1, "b" at 0.5.
    g = np.array(["a"] * 600 + ["b"] * 400)
    pred = np.concatenate([np.repeat([1, 0], [60, 540]), np.repeat([1, 0], [200, 200])])
    rates = {k: pred[g == k].mean() for k in ("a", "b")}
    assert min(rates.values()) / max(rates.values()) < 0.8  # the EEOC rule is broken
    table = pa.table(
        {"x": np.linspace(0, 1, 1000), "pred": pred, "y": pred, "g": g},
    )
    with dl.Monitor(
        table,
        prediction="pred",
        label="y",
        sensitive="g",
        window=1000,
        policies=[policies.Fairness(metric="disparate_impact", minimum=0.8)],
        dispatch="manual",
    ) as mon:
        mon.observe(table)
        (window,) = mon.history
    (trigger,) = window.triggers
    assert trigger.score == pytest.approx(rates["a"] / rates["b"])
