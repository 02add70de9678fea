"""Validation results that must be exact: integer ranges beyond float64's 2**53, boolean and
integer allowed values, and reports with infinite values as JSON and approval evidence."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.validation import AllowedValues, Range

I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1


def _inside(values: list[int], lo: int | None, hi: int | None) -> bool:
    # The reference: plain Python integers compare exactly.
    return all((lo is None or v >= lo) and (hi is None or v <= hi) for v in values)


@pytest.mark.parametrize(
    ("values", "kind", "lo", "hi"),
    [
        ([I64_MAX], pa.int64(), None, I64_MAX),
        ([I64_MAX], pa.int64(), None, I64_MAX - 1),
        ([2**53 + 1], pa.int64(), None, 2**53),
        ([2**53 + 1], pa.int64(), 2**53 + 2, None),
        ([-(2**63), 0], pa.int64(), -(2**63) + 1, None),
        ([-(2**63), 0], pa.int64(), -(2**63), 0),
        ([U64_MAX], pa.uint64(), None, U64_MAX),
        ([U64_MAX], pa.uint64(), None, U64_MAX - 1),
        ([2**64 - 2048, 5], pa.uint64(), 5, 2**64 - 2049),
        ([3, 7], pa.int8(), 3, 7),
    ],
)
def test_integer_range_on_data_is_exact(
    values: list[int], kind: pa.DataType, lo: int | None, hi: int | None
) -> None:
    table = pa.table({"x": pa.array([*values, None], kind)})
    result = dl.validate(table, [Range("x", min=lo, max=hi)]).results[0]
    assert result.passed is _inside(values, lo, hi), result.message
    assert result.observed == [min(values), max(values)]
    assert "approximate" not in result.message


def test_integer_range_on_a_profile_says_it_is_approximate() -> None:
    profile = dl.profile(pa.table({"x": pa.array([2**53 + 1], pa.int64())}))
    result = dl.validate(profile, [Range("x", max=2**53)]).results[0]
    assert "approximate" in result.message
    small = dl.profile(pa.table({"x": pa.array([5, 9], pa.int64())}))
    assert "approximate" not in dl.validate(small, [Range("x", max=9)]).results[0].message
    # A bound beyond the float range does not overflow the float comparison.
    assert dl.validate(profile, [Range("x", min=-(10**400), max=10**400)]).passed


def test_boolean_allowed_values() -> None:
    table = pa.table({"b": [True, False, None]})
    assert dl.validate(table, [AllowedValues("b", [True, False])]).passed
    only_true = dl.validate(table, [AllowedValues("b", [True])]).results[0]
    assert not only_true.passed and only_true.observed == ["false"]
    # The profile alone gives the same answers.
    assert dl.validate(dl.profile(table), [AllowedValues("b", [True, False])]).passed


@pytest.mark.parametrize(
    ("codes", "allowed"),
    [
        ([1, 2, 3, None, 2], [1, 2, 3]),
        ([1, 2, 3, None, 2], [1, 2]),
        ([0, 1], [True, False]),  # True == 1 in Python, but a bool is not an integer code
        ([I64_MAX, -5], [I64_MAX, -5, 10**30]),  # an allowed value beyond the type is fine
        ([4], [4.0]),
    ],
)
def test_integer_allowed_values_on_data(codes: list[int | None], allowed: list[Any]) -> None:
    table = pa.table({"c": pa.array(codes, pa.int64())})
    result = dl.validate(table, [AllowedValues("c", allowed)]).results[0]
    ok = {a for a in allowed if not isinstance(a, bool)}
    outside = sorted({c for c in codes if c is not None and c not in ok})
    assert result.passed is (not outside), result.message
    assert result.observed == [str(c) for c in outside]


def test_integer_allowed_values_on_a_profile_say_why_they_cannot_be_checked() -> None:
    profile = dl.profile(pa.table({"c": pa.array([1, 2], pa.int64())}))
    result = dl.validate(profile, [AllowedValues("c", [1, 2])]).results[0]
    assert not result.passed and "data itself" in result.message


def _strict(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise AssertionError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_report_with_infinities_is_strict_json() -> None:
    report = dl.validate(
        {"x": np.array([1.0, np.inf])}, [Range("x", max=10), Range("x", max=float("inf"))]
    )
    parsed = _strict(report.to_json())
    assert [r["observed"] for r in parsed["results"]] == [[1.0, "inf"], [1.0, "inf"]]
    assert [r["expected"] for r in parsed["results"]] == [[None, 10], [None, "inf"]]
    assert [r["passed"] for r in parsed["results"]] == [False, True]
    assert report.to_dict()["results"][1]["expected"] == [None, "inf"]
    negative = dl.validate({"x": np.array([-np.inf, 0.0])}, [Range("x", min=-np.inf)])
    assert _strict(negative.to_json())["results"][0]["observed"] == ["-inf", 0.0]


def test_report_with_dates_is_json() -> None:
    table = pa.table({"d": pa.array([dt.date(2024, 1, 1)])})
    report = dl.validate(table, [Range("d", min=dt.date(2023, 1, 1))])
    assert _strict(report.to_json())["results"][0]["expected"] == ["2023-01-01", None]


def test_report_with_infinities_is_approval_evidence(people) -> None:
    p = people
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/m", checksum="sha256:" + "1" * 64)
    p.carol.transition("m", 1, "staging")
    report = dl.validate({"x": np.array([1.0, np.inf])}, [Range("x", max=float("inf"))])
    p.alice.approve("m", 1, evidence=report)
    stored = p.victor.approvals("m", 1)[0].evidence
    assert stored["passed"] is True
    assert stored["report"]["results"][0]["observed"] == [1.0, "inf"]
