"""The monitor's drift options: Drift policies' method and feature_threshold, a float
threshold for every feature, and mappings checked against the monitored features."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

import driftline as dl
from driftline.drift.report import FeatureDrift
from driftline.exceptions import InvalidParameter

# ``cat`` is 50/50 in the reference, 60/40 in the window: PSI 0.0405, under the default
# PSI threshold (0.2), over 0.01.
REF = pa.table({"x": [float(i % 10) for i in range(1000)], "cat": ["a", "b"] * 500})
WINDOW = pa.table({"x": [float(i % 10) for i in range(100)], "cat": ["a"] * 60 + ["b"] * 40})
PSI = (0.6 - 0.5) * math.log(0.6 / 0.5) + (0.4 - 0.5) * math.log(0.4 / 0.5)


def _cat(mon: dl.Monitor) -> FeatureDrift:
    mon.observe(WINDOW)
    [w] = mon.history
    assert not w.errors
    return next(f for f in w.drift.features if f.column == "cat")


def test_a_drift_policy_method_and_threshold_reach_compare() -> None:
    policy = dl.policies.Drift(features=1, method="psi", feature_threshold=0.01)
    f = _cat(dl.Monitor(REF, window=100, dispatch="manual", policies=[policy]))
    assert f.method == "psi" and f.threshold == 0.01
    assert f.statistic == pytest.approx(PSI, rel=1e-3)
    assert f.drifted


def test_without_the_policy_threshold_psi_keeps_its_default() -> None:
    policy = dl.policies.Drift(features=1, method="psi")
    f = _cat(dl.Monitor(REF, window=100, dispatch="manual", policies=[policy]))
    assert f.method == "psi" and f.threshold == 0.2 and not f.drifted


def test_a_float_threshold_applies_to_every_feature() -> None:
    mon = dl.Monitor(REF, window=100, dispatch="manual", methods="psi", thresholds=0.01)
    f = _cat(mon)
    assert f.threshold == 0.01 and f.drifted
    assert all(g.threshold == 0.01 for g in mon.history[-1].drift.features)


def test_a_policy_method_for_every_column_skips_those_it_cannot_score() -> None:
    # ks scores numbers only: the categorical column keeps its default, as with
    # compare(methods="ks").
    policy = dl.policies.Drift(method="ks")
    f = _cat(dl.Monitor(REF, window=100, dispatch="manual", policies=[policy]))
    assert f.method == "chi2"
    assert dl.Monitor(REF, policies=[policy]).methods == {"x": "ks"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"thresholds": {"y": 0.1}}, "'y'"),
        ({"methods": {"y": "psi"}}, "'y'"),
        ({"thresholds": math.nan}, "finite"),
        ({"thresholds": {"x": math.inf}}, "'x'.*finite"),
        ({"thresholds": "0.1"}, "number"),
        (
            {
                "policies": [
                    dl.policies.Drift(method="psi"),
                    dl.policies.Drift(method="hellinger", name="d2"),
                ]
            },
            "'drift' and policy 'd2'",
        ),
        (
            {
                "policies": [
                    dl.policies.Drift(feature_threshold=0.1),
                    dl.policies.Drift(feature_threshold=0.2, name="d2"),
                ]
            },
            "threshold",
        ),
        ({"policies": [dl.policies.Drift(method="ks", columns=["cat"])]}, "'cat'.*numeric"),
        ({"methods": {"x": "psi"}, "policies": [dl.policies.Drift(method="kl")]}, "'x'"),
    ],
)
def test_conflicting_or_unknown_options_are_refused_at_construction(
    kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidParameter, match=match):
        dl.Monitor(REF, **kwargs)  # type: ignore[arg-type]


def test_policies_on_disjoint_columns_do_not_conflict() -> None:
    mon = dl.Monitor(
        REF,
        policies=[
            dl.policies.Drift(method="psi", columns=["cat"]),
            dl.policies.Drift(method="wasserstein", columns=["x"], name="d2"),
        ],
    )
    assert mon.methods == {"cat": "psi", "x": "wasserstein"}
