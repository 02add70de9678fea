"""How profile_parquet reads what it found: dictionary and plain columns together, corrupt
pages, no columns, duplicated names, batches within a row group, and the ``threads``
option. References are ``dl.profile(pq.read_table(...))`` and plain Python."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline import parquet as dl_parquet
from driftline.exceptions import DataError, InvalidParameter, SchemaError


def _exact(p: dl.Profile) -> dict[str, Any]:
    """The statistics of a profile that do not depend on how it was split and merged."""
    out: dict[str, Any] = {"rows": p.row_count, "columns": list(p.columns)}
    for c in p.columns:
        cp = p[c]
        out[c] = (
            cp.to_dict()["dtype"],
            cp.kind,
            cp.count,
            cp.null_count,
            cp.nan_count,
            cp.min,
            cp.max,
            cp.frequencies(),
        )
    return out


@pytest.mark.parametrize("dictionary_first", [True, False])
def test_dictionary_and_plain_strings_in_one_directory(
    tmp_path: Path, dictionary_first: bool
) -> None:
    coded = pa.table({"s": pa.array(["q", "a", None]).dictionary_encode(), "n": [1, 2, 3]})
    plain = pa.table({"s": ["c", "a"], "n": [4, 5]})
    first, second = (coded, plain) if dictionary_first else (plain, coded)
    pq.write_table(first, tmp_path / "0.parquet")
    pq.write_table(second, tmp_path / "1.parquet")
    assert pa.types.is_dictionary(
        pq.read_schema(tmp_path / ("0.parquet" if dictionary_first else "1.parquet"))
        .field("s")
        .type
    )
    got = dl.profile_parquet(tmp_path, progress=False)
    want = dl.profile(pq.read_table(tmp_path))
    assert got["s"].kind == want["s"].kind == "categorical"
    assert (got["s"].count, got["s"].null_count) == (want["s"].count, want["s"].null_count)
    values = ["q", "a", "c", "a"]
    assert got["s"].frequencies() == want["s"].frequencies() == dict(Counter(values))
    assert got["n"].mean == pytest.approx(3.0)


def test_a_corrupt_page_is_a_data_error_naming_file_and_row_group(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    pq.write_table(pa.table({"x": rng.normal(size=1000)}), tmp_path / "a-good.parquet")
    bad = tmp_path / "b-bad.parquet"
    pq.write_table(
        pa.table({"x": rng.normal(size=20_000)}), bad, compression="snappy", row_group_size=5000
    )
    offset = pq.ParquetFile(bad).metadata.row_group(1).column(0).data_page_offset
    data = bytearray(bad.read_bytes())
    for i in range(offset + 30, offset + 400):
        data[i] ^= 0xFF  # the page, not the footer: the file still opens
    bad.write_bytes(bytes(data))
    pq.read_schema(bad)
    with pytest.raises((OSError, pa.ArrowInvalid)):
        pq.read_table(bad)
    with pytest.raises(DataError, match=r"b-bad\.parquet: row group 1"):
        dl.profile_parquet(tmp_path, progress=False, threads=1)


def test_no_columns_keeps_the_row_count(tmp_path: Path) -> None:
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), tmp_path / "ref.parquet")
    pq.write_table(pa.table({"renamed_x": [1.0, 2.0, 3.0]}), tmp_path / "cur.parquet")
    cur = pq.read_table(tmp_path / "cur.parquet")
    got = dl.profile_parquet(tmp_path / "cur.parquet", columns=[], progress=False)
    assert got.row_count == dl.profile(cur, columns=[]).row_count == 3
    # Path against path reports the missing column as compare(path, table) does.
    by_path = dl.compare(tmp_path / "ref.parquet", tmp_path / "cur.parquet")
    by_table = dl.compare(tmp_path / "ref.parquet", cur)
    assert [(f.column, f.kind, f.drifted) for f in by_path.features] == [
        (f.column, f.kind, f.drifted) for f in by_table.features
    ]


def test_a_duplicated_column_name_is_a_schema_error(tmp_path: Path) -> None:
    t = pa.Table.from_arrays(
        [pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), pa.array([5.0, 6.0])], names=["x", "x", "y"]
    )
    f = tmp_path / "dup.parquet"
    pq.write_table(t, f)
    assert pq.read_schema(f).names == ["x", "x", "y"]
    with pytest.raises(SchemaError, match=r"dup\.parquet.*'x'"):
        dl.profile_parquet(f, progress=False)
    with pytest.raises(SchemaError, match=r"dup\.parquet.*'x'"):
        dl.profile_parquet(f, columns=["x"], progress=False)
    # A column read by a unique name is read as pyarrow reads it.
    assert _exact(dl.profile_parquet(f, columns=["y"], progress=False)) == _exact(
        dl.profile(pq.read_table(f, columns=["y"]))
    )


def test_a_row_group_is_read_in_batches(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 5000
    t = pa.table(
        {
            "x": rng.normal(size=n),
            "i": pa.array(rng.integers(-50, 50, n)),
            "s": pa.array(rng.integers(0, 7, n).astype(str)),
        }
    )
    f = tmp_path / "one.parquet"
    pq.write_table(t, f, row_group_size=n)
    assert pq.ParquetFile(f).metadata.num_row_groups == 1
    seen: list[int] = []
    original = pq.ParquetFile.iter_batches

    def spy(self: pq.ParquetFile, *args: Any, **kwargs: Any) -> Any:
        for batch in original(self, *args, **kwargs):
            seen.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    # A row group under LARGE_GROUP_BYTES is read whole, without batches.
    whole = dl.profile_parquet(f, progress=False)
    assert seen == []
    # Above it, in batches of BATCH_ROWS.
    monkeypatch.setattr(dl_parquet, "LARGE_GROUP_BYTES", 0)
    monkeypatch.setattr(dl_parquet, "BATCH_ROWS", 700)
    small = dl.profile_parquet(f, progress=False, threads=2)
    assert sum(seen) == n and max(seen) <= 700 and len(seen) >= n // 700
    want = dl.profile(pq.read_table(f))
    assert _exact(small) == _exact(whole) == _exact(want)
    for got in (small, whole):
        assert got["x"].mean == pytest.approx(float(np.mean(t["x"].to_numpy())), rel=1e-12)
        assert got["i"].mean == pytest.approx(float(np.mean(t["i"].to_numpy())), rel=1e-12)


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_threads_are_checked_as_profile_checks_them(tmp_path: Path, threads: Any) -> None:
    f = tmp_path / "a.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0]}), f)
    with pytest.raises(InvalidParameter, match="threads") as from_profile:
        dl.profile(pq.read_table(f), threads=threads)
    with pytest.raises(InvalidParameter, match="threads") as from_parquet:
        dl.profile_parquet(f, threads=threads, progress=False)
    assert str(from_parquet.value) == str(from_profile.value)


def test_numpy_integer_threads_are_accepted(tmp_path: Path) -> None:
    f = tmp_path / "a.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0]}), f, row_group_size=1)
    got = dl.profile_parquet(f, threads=np.int64(2), progress=False)
    assert _exact(got) == _exact(dl.profile(pq.read_table(f)))
