"""profile_parquet: streaming row groups of files, directories and globs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl


def test_parquet_equals_in_memory(tmp_path: Path, rng: np.random.Generator) -> None:
    t = pa.table(
        {"x": rng.normal(size=50_000), "c": pa.array(rng.integers(0, 9, 50_000).astype(str))}
    )
    pq.write_table(t.slice(0, 20_000), tmp_path / "a.parquet", row_group_size=3_000)
    pq.write_table(t.slice(20_000), tmp_path / "b.parquet", row_group_size=7_000)
    mem = dl.profile(t)
    for spec in [
        tmp_path,
        str(tmp_path / "*.parquet"),
        [tmp_path / "a.parquet", tmp_path / "b.parquet"],
    ]:
        p = dl.profile_parquet(spec, progress=False)
        assert p.fingerprint == mem.fingerprint
        assert p["c"].frequencies() == mem["c"].frequencies()
        assert abs(p["x"].mean - mem["x"].mean) <= 1e-12
    only = dl.profile_parquet(tmp_path, columns=["c"], progress=False)
    assert only.columns == ["c"]


def test_parquet_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        dl.profile_parquet(tmp_path / "missing.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(dl.exceptions.DataError, match="not a readable Parquet file"):
        dl.profile_parquet(tmp_path / "bad.parquet")
    pq.write_table(pa.table({"x": [1.0]}), tmp_path / "ok.parquet")
    with pytest.raises(dl.exceptions.SchemaError, match="'y' not found"):
        dl.profile_parquet(tmp_path / "ok.parquet", columns=["y"])


def test_empty_parquet(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": pa.array([], type=pa.float64())}), tmp_path / "e.parquet")
    p = dl.profile_parquet(tmp_path / "e.parquet")
    assert p.row_count == 0 and p.columns == ["x"]
