"""Distinct counts of 64-bit integer columns whose values reach 2^53 (ids from 2^60,
uint64 from 2^63, nanosecond timestamps): distinct integers that round to one double must
still count apart. Checked against numpy's exact count, within the sketch's stated error;
values below 2^53 keep the hashes of their doubles, so an int column merges with a float
one as one set of values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl


def _within(got: int, want: int, rel: float) -> bool:
    return abs(got - want) <= 4 * rel * want


@pytest.mark.parametrize(
    "array",
    [
        pa.array(np.arange(100_000, dtype=np.int64) + (1 << 60)),
        pa.array(np.arange(100_000, dtype=np.uint64) + np.uint64(1 << 63)),
        pa.array(np.iinfo(np.int64).min + np.arange(100_000, dtype=np.int64)),
        pa.array(np.datetime64("2026-12-07T00:00:00", "ns") + np.arange(100_000).astype("m8[ns]")),
        pa.array(np.arange(100_000).astype("m8[ns]") + np.timedelta64(1 << 60, "ns")),
    ],
    ids=["int64-2^60", "uint64-2^63", "int64-min", "timestamp-ns", "duration-ns"],
)
def test_wide_integers_count_apart(array: pa.Array) -> None:
    want = len(np.unique(array.to_numpy()))
    col = dl.profile(pa.table({"x": array}))["x"]
    assert _within(col.distinct(), want, col.distinct_error), (col.distinct(), want)
    # Sliced and chunked: the same exact count.
    parts = pa.chunked_array([array.slice(0, 30_000), array.slice(30_000)])
    chunked = dl.profile(pa.table({"x": parts}))["x"]
    assert chunked.distinct() == col.distinct()
    half = dl.profile(pa.table({"x": array.slice(50_000)}))["x"]
    assert _within(half.distinct(), 50_000, half.distinct_error)


def test_a_column_mixing_small_and_wide_values() -> None:
    small = np.arange(-500, 500, dtype=np.int64)
    wide = np.arange(2_000, dtype=np.int64) + (1 << 55)
    x = np.concatenate([small, wide, small])
    col = dl.profile(pa.table({"x": pa.array(x)}))["x"]
    want = len(np.unique(x))
    assert _within(col.distinct(), want, col.distinct_error), (col.distinct(), want)


def test_small_integers_still_merge_with_floats_as_one_set() -> None:
    ints = dl.profile(pa.table({"x": pa.array(np.arange(5_000, dtype=np.int64))}))
    floats = dl.profile(pa.table({"x": pa.array(np.arange(5_000, dtype=np.float64))}))
    merged = ints.merge(floats)["x"]
    assert _within(merged.distinct(), 5_000, merged.distinct_error)
