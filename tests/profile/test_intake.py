"""Every way data comes in, and the types that come with it."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import driftline as dl


@pytest.fixture
def table(rng: np.random.Generator) -> pa.Table:
    return pa.table(
        {"x": rng.normal(size=1000), "c": pa.array(rng.integers(0, 4, 1000).astype(str))}
    )


def test_all_producers_give_the_same_profile(table: pa.Table) -> None:
    ref = dl.profile(table).fingerprint
    producers = [
        table,
        table.to_batches()[0],
        pa.RecordBatchReader.from_batches(table.schema, table.to_batches()),
        pl.from_arrow(table),
        table.to_pandas(),
        {"x": table["x"].to_numpy(), "c": table["c"].to_numpy(zero_copy_only=False)},
    ]
    for data in producers:
        assert dl.profile(data).fingerprint == ref, type(data)


def test_single_columns(table: pa.Table) -> None:
    x = table["x"]
    for data in [x, x.combine_chunks(), pl.Series("x", x.to_numpy()), x.to_numpy()]:
        p = dl.profile(data)
        assert len(p.columns) == 1
        assert p[p.columns[0]].count == 1000


def test_pandas_named_index_is_not_a_column(table: pa.Table) -> None:
    df = table.to_pandas()
    df.index.name = "row_id"
    assert dl.profile(df).columns == ["x", "c"]


def test_temporal_and_decimal_types() -> None:
    ts = pa.array(
        [dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2), None], type=pa.timestamp("us", tz="UTC")
    )
    d = pa.array([dt.date(2026, 1, 1), dt.date(2026, 1, 3), None], type=pa.date32())
    dec = pa.array(
        [decimal.Decimal("1.25"), decimal.Decimal("2.75"), None], type=pa.decimal128(10, 2)
    )
    p = dl.profile(pa.table({"ts": ts, "d": d, "dec": dec}))
    assert p["ts"].dtype == 'timestamp(µs, "utc")'.lower() or "timestamp" in p["ts"].dtype
    assert p["ts"].min == pa.scalar(dt.datetime(2026, 1, 1), type=pa.timestamp("us")).value
    assert p["d"].max == 20456.0  # days since the epoch
    assert p["dec"].mean == 2.0
    assert all(p[c].null_count == 1 for c in ["ts", "d", "dec"])


def test_unsupported_type_names_the_column() -> None:
    t = pa.table({"ok": [1], "nested": pa.array([[1, 2]])})
    with pytest.raises(dl.exceptions.SchemaError, match=r"'nested'.*unsupported type"):
        dl.profile(t)
    assert dl.profile(t, columns=["ok"]).columns == ["ok"]


def test_unknown_column_is_named() -> None:
    with pytest.raises(dl.exceptions.SchemaError, match="'missing' not found"):
        dl.profile(pa.table({"a": [1]}), columns=["missing"])


def test_not_data_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="cannot read"):
        dl.profile(42)


def test_empty_table_gives_an_empty_valid_profile() -> None:
    t = pa.table({"x": pa.array([], type=pa.float64()), "c": pa.array([], type=pa.string())})
    p = dl.profile(t)
    assert p.row_count == 0 and p.columns == ["x", "c"]
    assert dl.Profile.from_bytes(p.to_bytes()) == p
    assert dl.profile(pa.table({})).row_count == 0


def test_stream_is_folded_group_by_group(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    profile_module = importlib.import_module("driftline.profile")
    monkeypatch.setattr(profile_module, "STREAM_GROUP_ROWS", 1000)
    t = pa.table(
        {"x": rng.normal(size=10_500), "c": pa.array(rng.integers(0, 7, 10_500).astype(str))}
    )
    reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=333))
    p = dl.profile(reader)
    whole = dl.profile(t)
    assert p.fingerprint == whole.fingerprint
    assert p["c"].frequencies() == whole["c"].frequencies()
    assert abs(p["x"].mean - whole["x"].mean) < 1e-12
