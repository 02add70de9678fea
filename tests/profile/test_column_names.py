"""Column names the caller cannot mean unambiguously: data with two columns of one name,
and a ``columns=`` list naming one twice. Every entry point that picks columns by name
refuses them with a SchemaError / InvalidParameter naming the column, instead of silently
reading the first of the two."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score

import driftline as dl
from driftline.exceptions import InvalidParameter, SchemaError


def _twice(name: str, first: pa.Array, second: pa.Array, **rest: pa.Array) -> pa.Table:
    arrays = [first, second, *rest.values()]
    return pa.Table.from_arrays(arrays, names=[name, name, *rest])


def test_profile_refuses_a_repeated_column_name() -> None:
    t = _twice("a", pa.array([1.0, 2.0]), pa.array(["x", "y"]))
    with pytest.raises(SchemaError, match=r"column 'a' appears 2 times"):
        dl.profile(t)


def test_a_repeated_name_outside_the_selection_does_not_matter() -> None:
    t = _twice("a", pa.array([1.0, 2.0]), pa.array(["x", "y"]), b=pa.array([3.0, 5.0]))
    p = dl.profile(t, columns=["b"])
    assert p.columns == ["b"]
    assert p["b"].mean == pytest.approx(np.mean([3.0, 5.0]))


def test_a_column_named_twice_in_columns_is_refused() -> None:
    t = pa.table({"a": [1.0, 2.0]})
    with pytest.raises(InvalidParameter, match=r"column 'a' is named twice"):
        dl.profile(t, columns=["a", "a"])


def test_a_repeated_segment_key_is_refused() -> None:
    t = _twice("s", pa.array(["k", "k"]), pa.array(["k", "j"]), a=pa.array([1.0, 2.0]))
    with pytest.raises(SchemaError, match=r"column 's' appears 2 times"):
        dl.profile(t, columns=["a"], segment_by="s")


def test_compare_refuses_a_repeated_column_name() -> None:
    t = _twice("a", pa.array([1.0, 2.0]), pa.array([3.0, 4.0]))
    with pytest.raises(SchemaError, match=r"column 'a' appears 2 times"):
        dl.compare(t, t)


def test_performance_refuses_a_repeated_label_and_reads_the_others() -> None:
    y = pa.array([1, 0, 1, 1])
    t = _twice("y", y, pa.array([0, 0, 0, 0]), p=pa.array([1, 1, 0, 1]))
    with pytest.raises(SchemaError, match=r"column 'y' appears 2 times"):
        dl.performance(t, prediction="p", label="y")
    # The repeated name is not one the call reads: the call goes on.
    t2 = _twice("z", y, y, y=y, p=pa.array([1, 1, 0, 1]))
    r = dl.performance(t2, prediction="p", label="y")
    assert r.accuracy == pytest.approx(accuracy_score([1, 0, 1, 1], [1, 1, 0, 1]))


def test_fairness_refuses_a_repeated_sensitive_column() -> None:
    g = pa.array(["u", "v"])
    t = _twice("g", g, g, y=pa.array([1, 0]), p=pa.array([1, 1]))
    with pytest.raises(SchemaError, match=r"column 'g' appears 2 times"):
        dl.fairness(t, prediction="p", label="y", sensitive=["g"])
