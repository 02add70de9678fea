"""A Performance policy on a metric the monitor's task never reports (MAE on a binary
monitor) is refused when the monitor is built, instead of recording an error at every
window and never firing. The refused metrics are checked against what dl.performance
actually reports for each task, so that no metric a report holds is ever refused."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline import policies
from driftline.exceptions import InvalidParameter
from driftline.policy_args import NOT_REPORTED


def _reports(rng: np.random.Generator) -> dict[str, object]:
    n = 200
    t = pa.table(
        {
            "y": rng.integers(0, 2, n),
            "p": rng.integers(0, 2, n),
            "s": rng.random(n),
            "yr": rng.normal(size=n),
            "pr": rng.normal(size=n),
            "ym": rng.integers(0, 3, n),
            "pm": rng.integers(0, 3, n),
        }
    )
    return {
        "binary": dl.performance(t, prediction="p", label="y", score="s"),
        "regression": dl.performance(t, prediction="pr", label="yr", task="regression"),
        "multiclass": dl.performance(t, prediction="pm", label="ym", task="multiclass"),
    }


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_refused_metrics_are_never_in_the_tasks_report(task: str) -> None:
    report = _reports(np.random.default_rng(1))[task]
    held = [m for m in policies.PERFORMANCE_METRICS if getattr(report, m, None) is not None]
    assert held, task
    assert not set(held) & NOT_REPORTED[task]


def _monitor(task: str, policy: policies.Policy) -> dl.Monitor:
    rng = np.random.default_rng(2)
    ref = pa.table(
        {"x": rng.normal(size=100), "y": rng.normal(size=100), "p": rng.normal(size=100)}
    )
    return dl.Monitor(
        ref,
        features=["x"],
        prediction="p",
        label="y",
        task=task,
        window=50,
        dispatch="manual",
        policies=[policy],
    )


@pytest.mark.parametrize(
    ("task", "policy"),
    [
        ("binary", policies.Performance(metric="mae", ceiling=1.0)),
        ("regression", policies.Performance(metric="accuracy", floor=0.8)),
        ("multiclass", policies.Performance(metric="precision", floor=0.8)),
    ],
)
def test_a_metric_the_task_does_not_report_is_refused(task: str, policy: policies.Policy) -> None:
    with pytest.raises(InvalidParameter, match=rf"a {task} monitor does not report"):
        _monitor(task, policy)


def test_a_metric_the_task_reports_is_accepted() -> None:
    mon = _monitor("regression", policies.Performance(metric="rmse", ceiling=5.0))
    assert mon.task == "regression"
