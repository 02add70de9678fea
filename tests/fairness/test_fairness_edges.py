"""Edge cases and errors of driftline.fairness."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter, SchemaError


def test_all_one_group() -> None:
    f = dl.fairness(
        {"y": [0, 1] * 20, "p": [1, 1] * 20, "g": ["a"] * 40},
        prediction="p",
        label="y",
        sensitive="g",
    )
    assert f.by_group.height == 1
    assert f.demographic_parity_difference is None
    assert "fewer than two groups" in f.reason("demographic_parity_difference")


def test_null_sensitive_is_a_group_and_null_labels_are_dropped() -> None:
    t = pa.table(
        {
            "y": pa.array([1, 0, None, 1, 0, 1], pa.int64()),
            "p": pa.array([1, 0, 1, None, 1, 1], pa.int64()),
            "g": pa.array(["a", None, "a", None, "b", "b"]),
        }
    )
    f = dl.fairness(t, prediction="p", label="y", sensitive="g", min_group_size=0)
    rows = {r["g"]: r for r in f.by_group.to_dicts()}
    assert set(rows) == {None, "a", "b"}
    assert rows["a"]["count"] == 1 and rows["a"]["n_null"] == 1
    assert rows[None]["count"] == 1 and rows[None]["n_null"] == 1


def test_int_bool_and_extreme_sensitive_values() -> None:
    big = np.iinfo(np.int64)
    t = pa.table(
        {
            "y": [1, 0, 1, 0],
            "p": [True, False, True, True],
            "g": pa.array([big.min, big.max, big.min, big.max], pa.int64()),
            "u": pa.array([2**64 - 1, 0, 2**64 - 1, 0], pa.uint64()),
            "b": [True, False, True, False],
        }
    )
    f = dl.fairness(
        t, prediction="p", label="y", sensitive=["g", "u", "b"], min_group_size=0, positive=True
    )
    assert f.by_group.height == 2
    assert f.by_group["g"].to_list() == [big.min, big.max]
    assert f.by_group["u"].to_list() == [2**64 - 1, 0]


def test_string_labels_and_positive() -> None:
    t = {"y": ["yes", "no"] * 20, "p": ["yes", "yes"] * 20, "g": ["a", "b", "b", "a"] * 10}
    f = dl.fairness(t, prediction="p", label="y", sensitive="g", positive="yes", min_group_size=0)
    assert f.demographic_parity_difference == 0.0
    with pytest.raises(InvalidParameter, match="positive=1"):
        dl.fairness(t, prediction="p", label="y", sensitive="g")


def test_errors_name_the_column() -> None:
    t = {"y": [0, 1, 2], "p": [0, 1, 1], "g": ["a", "b", "c"]}
    with pytest.raises(DataError, match="'y': not binary"):
        dl.fairness(t, prediction="p", label="y", sensitive="g")
    with pytest.raises(SchemaError, match="'nope' not found"):
        dl.fairness(t, prediction="p", label="y", sensitive="nope")
    with pytest.raises(DataError, match=r"'y'.*NaN"):
        dl.fairness(
            {"y": [0.0, np.nan], "p": [0, 1], "g": ["a", "b"]},
            prediction="p",
            label="y",
            sensitive="g",
            task="binary",
        )
    with pytest.raises(SchemaError, match="unsupported type"):
        dl.fairness(
            {"y": [0, 1], "p": [0, 1], "g": [0.5, 1.5]}, prediction="p", label="y", sensitive="g"
        )
    with pytest.raises(InvalidParameter, match="reference_group"):
        dl.fairness(
            t | {"y": [0, 1, 1]}, prediction="p", label="y", sensitive="g", reference_group="zz"
        )
    with pytest.raises(DataError, match=r"'s'.*outside"):
        dl.fairness(
            {"y": [0, 1], "p": [0, 1], "g": ["a", "b"], "s": [0.5, 1.5]},
            prediction="p",
            label="y",
            sensitive="g",
            score="s",
        )


def test_empty_table() -> None:
    t = pa.table(
        {
            "y": pa.array([], pa.int64()),
            "p": pa.array([], pa.int64()),
            "g": pa.array([], pa.string()),
        }
    )
    f = dl.fairness(t, prediction="p", label="y", sensitive="g")
    assert f.by_group.height == 0
    assert f.demographic_parity_difference is None


def test_worst_segments_by_each_kind_of_metric() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    seg = rng.integers(0, 6, n)
    sex = rng.choice(["f", "m"], n)
    y = rng.integers(0, 2, n)
    # Segment s selects women at a rate that falls with s: unfairness grows with s.
    rate = np.where(sex == "f", 0.5 - 0.07 * seg, 0.5)
    p = (rng.random(n) < rate).astype(np.int64)
    data = {"seg": seg, "sex": sex, "y": y, "p": p}
    r = dl.fairness(data, prediction="p", label="y", sensitive="sex", segment_by="seg")
    t = r.segments
    assert t is not None
    for metric, key in (
        ("demographic_parity_difference", lambda v: -v),
        ("demographic_parity_ratio", lambda v: v),
        ("statistical_parity_difference", lambda v: -abs(v)),
        ("disparate_impact", lambda v: min(v, 1 / v)),
    ):
        want = sorted(t.iter_rows(named=True), key=lambda row: key(row[metric]))
        got = r.worst_segments(metric, n=3)
        assert got["seg"].to_list() == [row["seg"] for row in want[:3]], metric
    four_fifths = r.worst_segments("passes_four_fifths", n=6)["passes_four_fifths"].to_list()
    assert four_fifths == sorted(four_fifths)  # failing segments (False) first
    assert r.worst_segments()["seg"][0] == 5
    with pytest.raises(ValueError, match="no segment metric 'n_groups'"):
        r.worst_segments("n_groups")
    with pytest.raises(ValueError, match="pass segment_by="):
        dl.fairness(data, prediction="p", label="y", sensitive="sex").worst_segments()
