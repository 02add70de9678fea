"""dl.compare with a directory of Parquet files whose schemas differ as the current side:
the same report as on the files concatenated with pyarrow (permissive promotion)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline.exceptions import SchemaError


def _current(tmp_path: Path, tables: Sequence[pa.Table]) -> tuple[Path, Path]:
    """The tables as files of one directory (read in this order), and their permissive
    concatenation as a single file: the independent expectation."""
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, t in enumerate(tables):
        pq.write_table(t, parts / f"part-{i}.parquet")
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.concat_tables(tables, promote_options="permissive"), whole)
    return parts, whole


def _assert_same_report(got: dl.DriftReport, want: dl.DriftReport) -> None:
    assert got.drifted_columns == want.drifted_columns
    assert sorted(f.column for f in got.features) == sorted(f.column for f in want.features)
    for f in want.features:
        g = got[f.column]
        assert (g.method, g.drifted) == (f.method, f.drifted), f.column
        assert g.statistic == pytest.approx(f.statistic, rel=1e-9, nan_ok=True), f.column


def test_an_empty_first_file_does_not_hide_a_column(tmp_path: Path) -> None:
    ref = pa.table({"x": [1.0, 2.0], "s": ["a", "b"]})
    tables = [pa.table({"x": pa.array([], pa.float64())}), ref]
    parts, whole = _current(tmp_path, tables)
    got = dl.compare(ref, parts)
    assert (
        got.drifted_columns
        == dl.compare(ref, pa.concat_tables(tables, promote_options="permissive")).drifted_columns
        == []
    )
    _assert_same_report(got, dl.compare(ref, whole))


def test_a_column_missing_from_the_first_file_is_compared(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    n = 2_000
    ref = pa.table(
        {"x": rng.normal(size=n), "c": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])}
    )
    tables = [
        pa.table({"x": rng.normal(size=500)}),
        pa.table(
            {
                "c": rng.choice(["a", "b", "c"], 1_500, p=[0.1, 0.3, 0.6]),
                "x": rng.normal(size=1_500),
                "z": rng.normal(size=1_500),
            }
        ),
    ]
    parts, whole = _current(tmp_path, tables)
    got = dl.compare(ref, parts)
    assert "c" in got.drifted_columns
    _assert_same_report(got, dl.compare(ref, whole))
    # "z" is in the second file only: an added column all the same.
    changes = got.to_dict()["schema_changes"]
    assert changes == dl.compare(ref, whole).to_dict()["schema_changes"]
    assert [c["column"] for c in changes] == ["z"]


def test_types_that_cannot_be_unified_name_both_files(tmp_path: Path) -> None:
    ref = pa.table({"x": [1.0, 2.0, 3.0]})
    parts = tmp_path / "parts"
    parts.mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0]}), parts / "a.parquet")
    pq.write_table(pa.table({"x": ["1", "2"]}), parts / "b.parquet")
    with pytest.raises(SchemaError, match=r"'x'.*a\.parquet.*b\.parquet"):
        dl.compare(ref, parts)
