"""Segment key columns keep the input column's type whatever the rows hold (none, or
only nulls), so that the segment tables of an empty window and of a filled one concatenate;
every metric column is there even without a row."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import InvalidParameter

KEY_TYPES = [
    pa.string(),
    pa.large_string(),
    pa.int8(),
    pa.uint16(),
    pa.uint64(),
    pa.int64(),
    pa.bool_(),
    pa.date32(),
    pa.timestamp("ms", tz="UTC"),
]

VALUES = {
    "string": ["a", "b", "a", None],
    "large_string": ["a", "b", "a", None],
    "int8": [-3, 7, -3, None],
    "uint16": [1, 60000, 1, None],
    "uint64": [1, 2**64 - 1, 1, None],
    "int64": [-(2**40), 5, -(2**40), None],
    "bool": [True, False, True, None],
    "date32[day]": [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 1), None],
    "timestamp[ms, tz=UTC]": [
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        None,
    ],
}


def window(key: pa.DataType, rows: str) -> pa.Table:
    """A binary/regression window whose segment column `g` is of type `key`: `rows` is
    "empty", "null" (keys all null) or "filled"."""
    values = {"empty": [], "null": [None] * 4}[rows] if rows != "filled" else VALUES[str(key)]
    n = len(values)
    return pa.table(
        {
            "y": pa.array([1, 0, 1, 0][:n], pa.int64()),
            "p": pa.array([1, 1, 0, 0][:n], pa.int64()),
            "s": pa.array([0.9, 0.6, 0.3, 0.2][:n]),
            "q": pa.array([0.1, 0.4, 0.7, 0.8][:n]),
            "yr": pa.array([1.0, 2.0, 3.0, 4.0][:n]),
            "g": pa.array(values, key),
        }
    )


CALLS = {
    "binary": lambda t: dl.performance(t, prediction="p", label="y", segment_by="g"),
    "binary score": lambda t: dl.performance(
        t, prediction="p", label="y", score="s", segment_by="g"
    ),
    "regression": lambda t: dl.performance(
        t, prediction="yr", label="yr", task="regression", segment_by="g"
    ),
    "multiclass scores": lambda t: dl.performance(
        t, prediction="p", label="y", task="multiclass", score=["q", "s"], segment_by="g"
    ),
    "partial": lambda t: dl.performance_partial(
        t, prediction="p", label="y", score="s", segment_by="g"
    ).report(),
}


@pytest.mark.parametrize("key", KEY_TYPES, ids=str)
@pytest.mark.parametrize("call", list(CALLS), ids=str)
def test_empty_and_null_windows_keep_the_key_type(key: pa.DataType, call: str) -> None:
    want = pl.from_arrow(pa.table({"g": pa.array([], key)})).schema["g"]  # type: ignore[union-attr]
    filled = CALLS[call](window(key, "filled")).segments
    assert filled is not None and filled.schema["g"] == want
    for rows in ("empty", "null"):
        seg = CALLS[call](window(key, rows)).segments
        assert seg is not None
        assert seg.schema == filled.schema, rows
        # The tables of an empty window and a filled one stack.
        both = pl.concat([seg, filled])
        assert both.height == seg.height + filled.height


def test_merged_partials_widen_integer_keys() -> None:
    a = dl.performance_partial(
        window(pa.int8(), "filled"), prediction="p", label="y", segment_by="g"
    )
    t = window(pa.int32(), "empty")
    b = dl.performance_partial(t, prediction="p", label="y", segment_by="g")
    merged = dl.PerformancePartial.from_bytes(a.merge(b).to_bytes()).report()
    assert merged.segments is not None and merged.segments.schema["g"] == pl.Int32
    assert merged.segments.sort("g", nulls_last=True)["g"].to_list() == [-3, 7, None]


def test_a_key_named_like_a_result_column_is_refused() -> None:
    t = window(pa.string(), "filled").rename_columns(["y", "p", "s", "q", "yr", "n"])
    with pytest.raises(InvalidParameter, match=r"segment_by.*'n'"):
        dl.performance(t, prediction="p", label="y", segment_by="n")
