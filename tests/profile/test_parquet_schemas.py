"""profile_parquet over files whose schemas differ: the same profile as dl.profile of
``pa.concat_tables(tables, promote_options="permissive")``, or a clear error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline.exceptions import DataError, SchemaError


def _write(tmp_path: Path, tables: Sequence[pa.Table]) -> None:
    # Names sort in the order given, which is the order profile_parquet reads them in.
    for i, t in enumerate(tables):
        pq.write_table(t, tmp_path / f"part-{i}.parquet", row_group_size=40)


def _expected(tables: Sequence[pa.Table], columns: Sequence[str] | None = None) -> dl.Profile:
    return dl.profile(pa.concat_tables(tables, promote_options="permissive"), columns=columns)


def _assert_same(got: dl.Profile, want: dl.Profile) -> None:
    assert got.row_count == want.row_count
    assert got.columns == want.columns
    for c in want.columns:
        a, b = got[c], want[c]
        assert (a.count, a.null_count, a.nan_count) == (b.count, b.null_count, b.nan_count), c
        assert (a.kind, a.min, a.max) == (b.kind, b.min, b.max), c
        assert a.to_dict()["dtype"] == b.to_dict()["dtype"], c
        if b.mean is not None:
            assert a.mean == pytest.approx(b.mean, rel=1e-12), c
        assert a.frequencies() == b.frequencies(), c


def test_a_column_missing_from_a_later_file_is_null(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    tables = [
        pa.table({"x": rng.normal(size=100), "y": rng.normal(size=100)}),
        pa.table({"y": rng.normal(size=60)}),
        pa.table({"y": rng.normal(size=30), "x": rng.normal(size=30)}),
    ]
    _write(tmp_path, tables)
    got = dl.profile_parquet(tmp_path, columns=["x"], progress=False)
    _assert_same(got, _expected(tables, ["x"]))
    assert got["x"].null_count == 60
    _assert_same(dl.profile_parquet(tmp_path, progress=False), _expected(tables))


def test_an_empty_first_file_with_fewer_columns(tmp_path: Path) -> None:
    tables = [
        pa.table({"x": pa.array([], pa.float64())}),
        pa.table({"x": [1.0, 2.0, 4.0], "s": ["a", "b", None]}),
    ]
    _write(tmp_path, tables)
    _assert_same(dl.profile_parquet(tmp_path, progress=False), _expected(tables))


def test_only_empty_files_keep_every_column(tmp_path: Path) -> None:
    tables = [
        pa.table({"x": pa.array([], pa.float64())}),
        pa.table({"s": pa.array([], pa.string())}),
    ]
    _write(tmp_path, tables)
    got = dl.profile_parquet(tmp_path, progress=False)
    assert got.row_count == 0 and got.columns == ["x", "s"]


def test_types_are_promoted_as_concat_tables_does(tmp_path: Path) -> None:
    tables = [
        pa.table({"i": pa.array([1, 2, 3], pa.int32()), "f": pa.array([1, 2, 3], pa.int64())}),
        pa.table({"i": pa.array([2**40, None], pa.int64()), "f": [0.5, float("nan")]}),
    ]
    _write(tmp_path, tables)
    _assert_same(dl.profile_parquet(tmp_path, progress=False), _expected(tables))


def test_types_that_cannot_be_unified_name_both_files(tmp_path: Path) -> None:
    tables = [pa.table({"v": ["a", "b"], "x": [1.0, 2.0]}), pa.table({"v": [1, 2]})]
    _write(tmp_path, tables)
    with pytest.raises(pa.ArrowTypeError):
        pa.concat_tables(tables, promote_options="permissive")
    with pytest.raises(SchemaError, match=r"'v'.*part-0\.parquet.*part-1\.parquet"):
        dl.profile_parquet(tmp_path, progress=False)
    # A conflict in a column that is not read is no reason to fail.
    _assert_same(
        dl.profile_parquet(tmp_path, columns=["x"], progress=False),
        dl.profile(pa.table({"x": [1.0, 2.0, None, None]})),
    )


def test_values_the_promoted_type_cannot_hold_are_a_data_error(tmp_path: Path) -> None:
    tables = [pa.table({"n": [2**60]}), pa.table({"n": [0.5]})]
    _write(tmp_path, tables)
    with pytest.raises(pa.ArrowInvalid):
        pa.concat_tables(tables, promote_options="permissive")
    with pytest.raises(DataError, match=r"part-0\.parquet.*'n'"):
        dl.profile_parquet(tmp_path, progress=False)


def test_a_column_in_no_file_names_the_files(tmp_path: Path) -> None:
    _write(tmp_path, [pa.table({"x": [1.0]}), pa.table({"y": [1.0]})])
    with pytest.raises(SchemaError, match=r"'z' not found.*part-0\.parquet.*x, y"):
        dl.profile_parquet(tmp_path, columns=["z"], progress=False)
