"""Which files profile_parquet reads: a directory as ``pq.read_table`` reads it (hidden and
``_``-prefixed paths skipped, hive partition keys as columns), a name holding glob
characters as the file it names, and every file once. The reference is always
``dl.profile(pq.read_table(...))`` or plain Python over the values written."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline import parquet as dl_parquet
from driftline.parquet import parquet_files


def _assert_same(got: dl.Profile, want: dl.Profile) -> None:
    assert got.row_count == want.row_count
    assert got.columns == want.columns
    for c in want.columns:
        a, b = got[c], want[c]
        assert (a.count, a.null_count, a.kind, a.min, a.max) == (
            b.count,
            b.null_count,
            b.kind,
            b.min,
            b.max,
        ), c
        assert a.to_dict()["dtype"] == b.to_dict()["dtype"], c
        assert a.frequencies() == b.frequencies(), c


def test_hidden_and_underscore_paths_are_skipped(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1.0, 2.0]}), tmp_path / "part-0.parquet")
    (tmp_path / "_temporary" / "0").mkdir(parents=True)
    pq.write_table(pa.table({"x": [100.0]}), tmp_path / "_temporary" / "0" / "part-0.parquet")
    pq.write_table(pa.table({"x": [999.0]}), tmp_path / ".part-1.parquet")
    (tmp_path / ".snapshot").mkdir()
    pq.write_table(pa.table({"x": [555.0]}), tmp_path / ".snapshot" / "part-0.parquet")
    pq.write_table(pa.table({"x": [777.0]}), tmp_path / "_part-2.parquet")
    got = dl.profile_parquet(tmp_path, progress=False)
    want = dl.profile(pq.read_table(tmp_path))
    _assert_same(got, want)
    assert (got.row_count, got["x"].max) == (2, 2.0)
    assert parquet_files(tmp_path) == [tmp_path / "part-0.parquet"]


def test_hive_partition_keys_are_columns(tmp_path: Path) -> None:
    table = pa.table(
        {
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "region": ["eu", "eu", "us", None, "us", "eu"],
            "year": [2020, 2021, 2021, 2020, 2020, 2020],
        }
    )
    pq.write_to_dataset(table, tmp_path, partition_cols=["region", "year"])
    want = dl.profile(pq.read_table(tmp_path))
    assert want.columns == ["x", "region", "year"]
    _assert_same(dl.profile_parquet(tmp_path, progress=False), want)
    # Plain Python over the values written: the keys' counts survive the directory names.
    got = dl.profile_parquet(tmp_path, progress=False)
    assert got["region"].frequencies() == {"eu": 3, "us": 2}
    assert got["region"].null_count == 1
    assert got["year"].frequencies() == {"2020": 4, "2021": 2}
    # Selected by name, as segment keys too.
    _assert_same(
        dl.profile_parquet(tmp_path, columns=["region"], progress=False),
        dl.profile(pq.read_table(tmp_path), columns=["region"]),
    )
    seg = dl.profile_parquet(tmp_path, columns=["x"], segment_by="region", progress=False)
    ref = dl.profile(pq.read_table(tmp_path), columns=["x"], segment_by="region")
    assert sorted(seg.segments) == sorted(ref.segments)
    for key in ref.segments:
        _assert_same(seg.segments[key], ref.segments[key])


def test_partition_keys_survive_the_file_list(tmp_path: Path) -> None:
    # compare() lists the files first and profiles the list: the keys must travel with it.
    table = pa.table({"x": [1.0, 2.0, 3.0, 4.0], "region": ["eu", "eu", "us", "us"]})
    ref, cur = tmp_path / "ref", tmp_path / "cur"
    pq.write_to_dataset(table, ref, partition_cols=["region"])
    pq.write_to_dataset(table, cur, partition_cols=["region"])
    files = parquet_files(cur)
    assert all(isinstance(f, dl_parquet.PartitionedPath) for f in files)
    assert parquet_files(files) == files
    _assert_same(dl.profile_parquet(files, progress=False), dl.profile(pq.read_table(cur)))
    report = dl.compare(ref, cur)
    kinds = {f.column: f.kind for f in report.features}
    assert kinds == {"x": "numeric", "region": "categorical"}


def test_an_existing_name_with_glob_characters_is_that_file(tmp_path: Path) -> None:
    named = tmp_path / "sales[1].parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), named)
    # What the name would match as a glob: another file.
    pq.write_table(pa.table({"x": [100.0]}), tmp_path / "sales1.parquet")
    for spec in (named, str(named)):
        _assert_same(dl.profile_parquet(spec, progress=False), dl.profile(pq.read_table(named)))
    os.remove(tmp_path / "sales1.parquet")
    assert dl.profile_parquet(str(named), progress=False).row_count == 3
    # A pattern that is no file is still a glob.
    assert parquet_files(str(tmp_path / "sales*.parquet")) == [named]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "a.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0]}), f)
    rows = pq.read_table(f).num_rows
    again = tmp_path / "sub" / ".." / "sub" / "a.parquet"
    assert parquet_files([f, again]) == [f]
    assert dl.profile_parquet([f, again], progress=False).row_count == rows


def test_a_symbolic_link_to_a_listed_file_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "a.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0]}), f)
    link = tmp_path / "latest.parquet"
    try:
        os.symlink(f, link)
    except OSError:
        pytest.skip("symbolic links are not available here")
    assert len(parquet_files(tmp_path)) == 1
    assert dl.profile_parquet(tmp_path, progress=False).row_count == pq.read_table(f).num_rows
