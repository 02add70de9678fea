"""compare's per-column options: a mapping that names a column which is not compared is
refused (a misspelt name would silently keep the default and a drift gate would pass on
settings nobody chose); thresholds must be finite numbers, and a test's threshold (its
significance level) lies in (0, 1). Valid options still decide as scipy's p-values say."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

import driftline as dl
from driftline.exceptions import InvalidParameter


@pytest.fixture(scope="module")
def data() -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(3)
    ref = pa.table({"x": rng.normal(size=800), "c": rng.choice(["a", "b"], 800)})
    cur = pa.table({"x": rng.normal(0.15, 1, 800), "c": rng.choice(["a", "b"], 800)})
    return ref, cur


@pytest.mark.parametrize("option", ["methods", "thresholds", "min_effect", "weights"])
def test_a_mapping_naming_an_unknown_column_is_refused(data, option) -> None:  # type: ignore[no-untyped-def]
    ref, cur = data
    value = {"methods": "ks", "thresholds": 0.01, "min_effect": 0.1, "weights": 1.0}[option]
    with pytest.raises(
        InvalidParameter, match=rf"{option} names a column that is not compared: 'amount'"
    ):
        dl.compare(ref, cur, **{option: {"amount": value}})


def test_a_column_left_out_by_columns_is_unknown_too(data) -> None:  # type: ignore[no-untyped-def]
    ref, cur = data
    with pytest.raises(InvalidParameter, match=r"'c' \(compared: 'x'\)"):
        dl.compare(ref, cur, columns=["x"], thresholds={"c": 0.01})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, r"must be in \(0, 1\)"),
        (0, r"must be in \(0, 1\)"),
        (1.5, r"must be in \(0, 1\)"),
        (float("nan"), "must be finite"),
        (float("inf"), "must be finite"),
        ("a", "is not a number"),
        (None, "is not a number"),
    ],
)
def test_a_bad_test_threshold_is_refused_naming_the_column(data, value, message) -> None:  # type: ignore[no-untyped-def]
    ref, cur = data
    with pytest.raises(InvalidParameter, match=rf"column 'x'.*{message}"):
        dl.compare(ref, cur, thresholds={"x": value})


def test_a_distance_threshold_must_be_finite(data) -> None:  # type: ignore[no-untyped-def]
    ref, cur = data
    with pytest.raises(InvalidParameter, match=r"column 'x' must be finite"):
        dl.compare(ref, cur, methods={"x": "psi"}, thresholds={"x": float("nan")})


def test_valid_thresholds_decide_as_scipys_p_value(data) -> None:  # type: ignore[no-untyped-def]
    ref, cur = data
    p = stats.ks_2samp(ref["x"].to_numpy(), cur["x"].to_numpy()).pvalue
    # One test in the family of x (c's categories are the same): Holm leaves p as is.
    loose, strict = min(0.99, p * 2), p / 2
    r_loose = dl.compare(ref, cur, columns=["x"], thresholds={"x": loose}, min_effect=0)
    r_strict = dl.compare(ref, cur, columns=["x"], thresholds={"x": strict}, min_effect=0)
    assert r_loose["x"].p_value == pytest.approx(p, rel=1e-9)
    assert r_loose["x"].drifted is True
    assert r_strict["x"].drifted is False


def test_columns_as_one_name_is_that_column(data) -> None:  # type: ignore[no-untyped-def]
    ref, cur = data
    ref2 = ref.append_column("xy", ref["x"])
    cur2 = cur.append_column("xy", cur["x"])
    r = dl.compare(ref2, cur2, columns="xy")
    assert [f.column for f in r.features] == ["xy"]
