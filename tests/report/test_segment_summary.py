"""SegmentSummary: the worst segments rank as PerformanceReport.worst does, and a malformed
stored summary is a ValueError, whatever its shape."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl
import pytest

import driftline as dl
from driftline.report.segments import SegmentSummary, segment_summary


def _stored(perf: dl.PerformanceReport) -> SegmentSummary:
    # Through JSON, as the registry keeps it.
    return SegmentSummary(json.loads(json.dumps(segment_summary(performance=perf))))


def _binary() -> dl.PerformanceReport:
    rng = np.random.default_rng(5)
    sizes = {"a": 900, "b": 1100, "c": 1300, "d": 1500, "e": 1700, "f": 1900}
    g = np.concatenate([np.full(k, name) for name, k in sizes.items()])
    signal = np.concatenate([np.full(k, 2.5 - 0.4 * i) for i, k in enumerate(sizes.values())])
    y = rng.integers(0, 2, g.size)
    score = 1 / (1 + np.exp(-((2 * y - 1) * signal + rng.normal(0, 1, g.size))))
    frame = pl.DataFrame({"g": g, "y": y, "pred": (score > 0.5).astype(int), "score": score})
    return dl.performance(
        frame, prediction="pred", label="y", score="score", task="binary", segment_by="g"
    )


def _regression() -> dl.PerformanceReport:
    rng = np.random.default_rng(6)
    g = np.repeat([f"s{i}" for i in range(8)], 400)
    y = rng.normal(10, 2, g.size)
    bias = np.repeat([-3.0, 2.5, -0.2, 0.1, 1.0, -1.5, 0.4, 3.5], 400)
    frame = pl.DataFrame({"g": g, "y": y, "yhat": y + bias + rng.normal(0, 1, g.size)})
    return dl.performance(frame, prediction="yhat", label="y", task="regression", segment_by="g")


def _compared(perf: dl.PerformanceReport) -> list[str]:
    summary = _stored(perf)
    assert perf.segments is not None
    key = perf.segments.columns[0]
    compared = []
    for metric in summary.metrics:
        values = perf.segments[metric]
        # Ranks are comparable only where the stored (6-digit) values are distinct and set.
        rounded = [float(f"{v:.6g}") for v in values.drop_nulls().to_list()]
        if values.null_count() or len(set(rounded)) < len(rounded):
            continue
        expected = [str(k) for k in perf.worst(metric, 4)[key].to_list()]
        assert [r["segment"] for r in summary.worst(metric, 4)] == expected, metric
        compared.append(metric)
    return compared


def test_worst_matches_performance_report_for_scores_and_errors() -> None:
    compared = _compared(_binary())
    # Scores (worst when lowest) and errors (worst when highest) were both checked.
    assert {"accuracy", "f1", "precision", "recall", "roc_auc"} <= set(compared)
    assert {"log_loss", "brier"} <= set(compared)


def test_worst_matches_performance_report_for_regression() -> None:
    compared = _compared(_regression())
    assert {"mae", "rmse", "r2", "mean_error"} <= set(compared)


def test_drift_columns_keep_their_direction() -> None:
    data = {
        "format": 1,
        "segment_by": "k",
        "drift": {
            "columns": ["segment", "share_drifted", "worst_p_value", "worst_effect_size"],
            "rows": [["a", 0.1, 0.5, 0.1], ["b", 0.9, 0.001, 0.8], ["c", 0.5, 0.02, 0.3]],
        },
    }
    s = SegmentSummary(data)
    assert [r["segment"] for r in s.worst("share_drifted")] == ["b", "c", "a"]
    assert [r["segment"] for r in s.worst("worst_p_value")] == ["b", "c", "a"]


def _summary(**parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "format": 1,
        "segment_by": "g",
        "drift": None,
        "performance": {"columns": ["g", "mae"], "rows": [["a", 1.0], ["b", 2.0]]},
        "detail": {},
    }
    base.update(parts)
    return base


MALFORMED = {
    "huge int": _summary(performance={"columns": ["g", "mae"], "rows": [["a", 10**400]]}),
    "table is a list": _summary(drift=[1]),
    "no segment column": _summary(drift={"columns": ["x"], "rows": [[1]]}),
    "no key column": _summary(performance={"columns": ["mae"], "rows": [[1.0]]}),
    "detail is a list": _summary(detail=[1]),
    "detail features not a list": _summary(detail={"a": {"x": 1}}),
    "feature not an object": _summary(detail={"a": [1]}),
    "feature without column": _summary(detail={"a": [{"method": "ks"}]}),
    "histogram huge": _summary(
        detail={"a": [{"column": "x", "histogram": {"labels": ["1"], "reference": [10**400]}}]}
    ),
    "histogram not numbers": _summary(
        detail={"a": [{"column": "x", "histogram": {"labels": [], "current": ["x"]}}]}
    ),
    "statistic text": _summary(detail={"a": [{"column": "x", "statistic": "big"}]}),
    "row too short": _summary(performance={"columns": ["g", "mae"], "rows": [["a"]]}),
    "row not a list": _summary(performance={"columns": ["g", "mae"], "rows": ["ab"]}),
    "rows not a list": _summary(performance={"columns": ["g", "mae"], "rows": 3}),
    "nested cell": _summary(performance={"columns": ["g", "mae"], "rows": [["a", [1]]]}),
    "columns not strings": _summary(performance={"columns": ["g", 3], "rows": []}),
    "repeated column": _summary(performance={"columns": ["g", "g"], "rows": []}),
    "segment_by not text": _summary(segment_by=["g"]),
    "not a mapping": [1, 2],
    "no format": {"drift": None},
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_summary_is_a_value_error(data: Any) -> None:
    with pytest.raises(ValueError):
        SegmentSummary(data)


def test_a_well_formed_summary_reads_and_non_finite_is_missing() -> None:
    s = SegmentSummary(
        _summary(
            performance={"columns": ["g", "mae"], "rows": [["a", float("nan")], ["b", 2.0]]},
            detail={"a": [{"column": "x", "histogram": {"labels": [1], "reference": [None]}}]},
        )
    )
    assert [r["segment"] for r in s.worst("mae")] == ["b", "a"]
    assert s.row("a") == {"segment": "a", "mae": None}
    assert s.features("a")[0]["histogram"]["reference"] == [None]
