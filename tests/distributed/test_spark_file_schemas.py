"""Spark scans of Parquet files whose schemas differ: source="auto" gives what
source="arrow" and the single machine give on the permissively concatenated files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl


def _same(p: dl.Profile, q: dl.Profile) -> None:
    assert p.row_count == q.row_count and sorted(p.columns) == sorted(q.columns)
    for c in q.columns:
        a, b = p[c], q[c]
        assert (a.count, a.null_count, a.nan_count) == (b.count, b.null_count, b.nan_count), c
        assert a.min == b.min and a.max == b.max, c
        if b.mean is not None:
            assert a.mean == pytest.approx(b.mean, rel=1e-12), c
        assert a.frequencies() == b.frequencies(), c


def test_a_column_missing_from_a_file_is_null(spark_session: Any, tmp_path: Path) -> None:
    import driftline.spark as dls
    from driftline.distributed._spark_files import parquet_scan_files

    tables = [pa.table({"x": [1.0, 2.0], "y": [1, 2]}), pa.table({"y": [3, 4]})]
    for name, t in zip(("a", "b"), tables, strict=True):
        pq.write_table(t, tmp_path / f"{name}.parquet")
    df = spark_session.read.option("mergeSchema", "true").parquet(str(tmp_path))
    # b.parquet lacks x: the executors cannot read x from every file.
    assert parquet_scan_files(df, ["x", "y"]) is None
    assert parquet_scan_files(df, ["y"]) is not None
    whole = pa.concat_tables(tables, promote_options="permissive")
    want = dl.profile(whole)
    got = dls.profile(df)
    assert (got.row_count, got["x"].count, got["x"].null_count) == (4, 2, 2)
    _same(got, want)
    _same(dls.profile(df, source="arrow"), want)
    # Every file holds y: read from the files, with the same result.
    _same(dls.profile(df, columns=["y"]), dl.profile(whole, columns=["y"]))


def test_a_type_that_differs_between_files_goes_through_arrow(
    spark_session: Any, tmp_path: Path
) -> None:
    from driftline.distributed._spark_files import parquet_scan_files

    pq.write_table(pa.table({"n": pa.array([1, 2], pa.int32())}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"n": pa.array([3, 4], pa.int64())}), tmp_path / "b.parquet")
    df = spark_session.read.schema("n bigint").parquet(str(tmp_path))
    assert parquet_scan_files(df, ["n"]) is None


def test_a_frame_of_another_type_than_the_files_goes_through_arrow(
    spark_session: Any, tmp_path: Path
) -> None:
    from driftline.distributed._spark_files import parquet_scan_files

    pq.write_table(pa.table({"n": [1, 2]}), tmp_path / "a.parquet")
    assert parquet_scan_files(spark_session.read.parquet(str(tmp_path)), ["n"]) is not None
    as_double = spark_session.read.schema("n double").parquet(str(tmp_path))
    assert parquet_scan_files(as_double, ["n"]) is None


@pytest.mark.parametrize("second", ["directory", "file"])
def test_a_file_read_twice_counts_twice(spark_session: Any, tmp_path: Path, second: str) -> None:
    # Spark reads a file once per listing (inputFiles() lists it once): the file tasks
    # must read it as often as Spark does.
    import driftline.spark as dls
    from driftline.distributed._spark_files import parquet_scan_files

    table = pa.table({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "b", "a", None]})
    pq.write_table(table, tmp_path / "f.parquet")
    other = str(tmp_path) if second == "directory" else str(tmp_path / "f.parquet")
    df = spark_session.read.parquet(str(tmp_path), other)
    files = parquet_scan_files(df, df.columns)
    assert files is not None and len(files) == 2  # the file tasks still apply
    collected = df.toArrow()
    assert collected.num_rows == 2 * table.num_rows
    want = dl.profile(collected)
    _same(dls.profile(df), want)
    _same(dls.profile(df, source="arrow"), want)
