"""Batches of one window that differ in type (pandas categories, ints and floats) or hold
nested values: unified at close, refused at observe, and a failing close recorded."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import SchemaError
from driftline.monitor.accumulate import concat_tables

REF = pa.table({"x": [float(i % 10) for i in range(1000)], "cat": ["a", "b"] * 500})


def test_a_dictionary_batch_and_a_string_batch_share_a_window() -> None:
    mon = dl.Monitor(REF, window=20, dispatch="manual")
    mon.observe(pa.table({"x": [1.0] * 5, "cat": pa.array(["a"] * 5).dictionary_encode()}))
    mon.observe(pa.table({"x": [2.0] * 15, "cat": ["b"] * 15}))
    [w] = mon.history
    assert w.rows == 20 and not w.errors
    assert w.profile["cat"].frequencies() == {"a": 5, "b": 15}
    assert w.profile["x"].mean == pytest.approx((5 * 1.0 + 15 * 2.0) / 20)


def test_huge_ints_and_floats_share_a_window_as_float64() -> None:
    mon = dl.Monitor(REF, window=24, dispatch="manual")
    mon.observe(pa.table({"x": [2**62] * 5, "cat": ["a"] * 5}))
    mon.observe(pa.table({"x": [1.0] * 19, "cat": ["a"] * 19}))
    [w] = mon.history
    want = np.array([2**62] * 5 + [1.0] * 19, dtype=np.float64)
    assert w.rows == 24 and not w.errors
    assert w.profile["x"].max == float(want.max())
    assert w.profile["x"].mean == pytest.approx(float(want.mean()), rel=1e-12)


@pytest.mark.parametrize(
    ("first", "second", "want"),
    [
        (pa.array([True, False]), pa.array([0.5, 1.5]), [1.0, 0.0, 0.5, 1.5]),
        (pa.array([2**64 - 1], pa.uint64()), pa.array([-1]), [float(2**64 - 1), -1.0]),
        (pa.array([1, 2], pa.int32()), pa.array([3], pa.int64()), [1, 2, 3]),
    ],
)
def test_numeric_columns_of_several_types_concatenate(
    first: pa.Array, second: pa.Array, want: list[float]
) -> None:
    out = concat_tables([pa.table({"x": first}), pa.table({"x": second})])
    assert out.column("x").to_pylist() == want


@pytest.mark.parametrize(
    "value",
    [
        pa.array([{"a": 1}] * 5),
        pa.array([["a"]] * 5),
        pa.array([[("k", 1)]] * 5, pa.map_(pa.string(), pa.int64())),
    ],
    ids=["struct", "list", "map"],
)
def test_a_nested_column_is_refused_at_observe(value: pa.Array) -> None:
    mon = dl.Monitor(REF, window=20, dispatch="manual")
    with pytest.raises(SchemaError, match=r"'cat'.*nested"):
        mon.observe(pa.table({"x": [1.0] * 5, "cat": value}))
    mon.observe(pa.table({"x": [1.0] * 20, "cat": ["a"] * 20}))
    [w] = mon.history
    assert w.rows == 20 and not w.errors


def test_a_window_that_fails_to_close_is_kept_with_its_error() -> None:
    mon = dl.Monitor(REF, window=20, dispatch="manual")

    def broken(table: pa.Table, window_rows: int | None = None) -> None:
        raise RuntimeError("profiler down")

    mon.observe(pa.table({"x": [1.0] * 5, "cat": ["a"] * 5}))
    # The window's rows sit in a buffer: profiled at close, which fails. The caller whose
    # rows complete the window must not see it, and the window must not vanish.
    for acc in mon._accs.values():
        acc._profile = broken
    mon.observe(pa.table({"x": [1.0] * 15, "cat": ["a"] * 15}))
    [w] = mon.history
    assert w.rows == 20 and w.profile is None
    assert any("profiler down" in e for e in w.errors)
