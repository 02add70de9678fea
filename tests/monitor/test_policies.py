"""Policies on synthetic windows: thresholds, consecutive windows, hysteresis, cooldown."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from driftline import policies


@dataclass
class FakeWindow:
    window: str
    drift: Any = None
    performance: Any = None
    fairness: Any = None
    quality: list[dict[str, Any]] = field(default_factory=list)


def drift_window(i: int, drifted: int, total: int = 5) -> FakeWindow:
    feats = [
        SimpleNamespace(column=f"f{j}", drifted=j < drifted, statistic=float(j))
        for j in range(total)
    ]
    return FakeWindow(f"w{i}", drift=SimpleNamespace(features=feats))


def run(
    policy: policies.Policy, windows: list[FakeWindow], times: list[float] | None = None
) -> list[int]:
    fired = []
    for i, w in enumerate(windows):
        now = float(i) if times is None else times[i]
        if policy.evaluate(w, monitor="m", now=now) is not None:  # type: ignore[arg-type]
            fired.append(i)
    return fired


def test_drift_fires_once_per_episode() -> None:
    counts = [0, 2, 3, 2, 0, 0, 2]
    assert run(policies.Drift(features=2), [drift_window(i, c) for i, c in enumerate(counts)]) == [
        1,
        6,
    ]


def test_drift_hysteresis() -> None:
    # fires at 3, stays active while >= 2 (clear_features=1 means: clears at <= 1)
    counts = [3, 2, 2, 1, 2, 3]
    pol = policies.Drift(features=3, clear_features=1)
    assert run(pol, [drift_window(i, c) for i, c in enumerate(counts)]) == [0, 5]


def test_drift_consecutive() -> None:
    counts = [1, 0, 1, 1, 1, 1]
    pol = policies.Drift(features=1, consecutive=3)
    assert run(pol, [drift_window(i, c) for i, c in enumerate(counts)]) == [4]


def test_drift_share() -> None:
    pol = policies.Drift(share=0.5)
    assert run(pol, [drift_window(0, 2), drift_window(1, 3)]) == [1]


def test_cooldown_suppresses_new_episode() -> None:
    counts = [1, 0, 1, 0, 1]
    times = [0.0, 10.0, 20.0, 30.0, 4000.0]
    pol = policies.Drift(features=1, cooldown="1h")
    assert run(pol, [drift_window(i, c) for i, c in enumerate(counts)], times) == [0, 4]


def test_trigger_id_is_stable() -> None:
    a = policies.Drift().evaluate(drift_window(7, 1), monitor="m", now=1.0)  # type: ignore[arg-type]
    b = policies.Drift().evaluate(drift_window(7, 1), monitor="m", now=99.0)  # type: ignore[arg-type]
    c = policies.Drift().evaluate(drift_window(8, 1), monitor="m", now=1.0)  # type: ignore[arg-type]
    assert a is not None and b is not None and c is not None
    assert a.id == b.id != c.id
    assert a.details["drifted"] == ["f0"]


def test_state_roundtrip() -> None:
    pol = policies.Drift(features=1)
    run(pol, [drift_window(0, 1)])
    again = policies.Drift(features=1)
    again.load_state(pol.state())
    assert again.evaluate(drift_window(1, 1), monitor="m", now=2.0) is None  # type: ignore[arg-type]


def test_performance_floor_and_drop() -> None:
    pol = policies.Performance(metric="accuracy", baseline=0.9, drop=0.05, clear=0.88)
    acc = [0.9, 0.84, 0.86, 0.87, 0.89, 0.8]
    ws = [FakeWindow(f"w{i}", performance=SimpleNamespace(accuracy=a)) for i, a in enumerate(acc)]
    assert run(pol, ws) == [1, 5]
    assert policies.Performance(metric="f1", floor=0.7).threshold == 0.7


def test_fairness_minimum_and_maximum() -> None:
    di = policies.Fairness(metric="disparate_impact", minimum=0.8, clear=0.85)
    ws = [
        FakeWindow(f"w{i}", fairness=SimpleNamespace(disparate_impact=v))
        for i, v in enumerate([0.9, 0.7, 0.82, 0.9, 0.75])
    ]
    assert run(di, ws) == [1, 4]
    dp = policies.Fairness(metric="demographic_parity_difference", maximum=0.1)
    ws = [
        FakeWindow(f"w{i}", fairness=SimpleNamespace(demographic_parity_difference=v))
        for i, v in enumerate([0.05, 0.2])
    ]
    assert run(dp, ws) == [1]


def test_data_quality() -> None:
    pol = policies.DataQuality(null_rate_increase=0.1)
    ws = [
        FakeWindow("a", quality=[{"check": "null_rate", "increase": 0.05}]),
        FakeWindow("b", quality=[{"check": "null_rate", "increase": 0.2}]),
        FakeWindow("c", quality=[]),
        FakeWindow("d", quality=[{"check": "unseen_categories", "categories": ["z"]}]),
    ]
    assert run(pol, ws) == [1, 3]


def test_schedule() -> None:
    pol = policies.Schedule(every="7d")
    times = [0.0, 86400.0, 7 * 86400.0, 8 * 86400.0, 14 * 86400.0]
    assert run(pol, [FakeWindow(f"w{i}") for i in range(5)], times) == [2, 4]


def test_not_applicable_leaves_state() -> None:
    pol = policies.Performance(metric="accuracy", floor=0.8)
    assert run(pol, [FakeWindow("w0")]) == []


@pytest.mark.parametrize("bad", ["-1h", "1y", "", "abc"])
def test_bad_durations(bad: str) -> None:
    with pytest.raises(ValueError):
        policies.parse_duration(bad)


def test_bad_hysteresis() -> None:
    with pytest.raises(ValueError, match="clear"):
        policies.Performance(metric="accuracy", floor=0.8, clear=0.7)
