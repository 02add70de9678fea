"""The engine-independent part: partials as bytes, the tree merge, refusal of foreign or
incompatible partials, and the lazy imports of the adapters."""

from __future__ import annotations

import importlib
import struct
import sys

import pyarrow as pa
import pytest

import driftline as dl
from driftline.distributed._common import (
    ProfileSpec,
    merge_partial_bytes,
    merge_partials,
    partial_from_batches,
    partial_from_table,
    require,
)
from driftline.exceptions import DecodeError


def _with_version(blob: bytes, version: int) -> bytes:
    assert blob[:6] == b"DLPROF"
    return blob[:6] + struct.pack("<H", version) + blob[8:]


def _split(t: pa.Table, parts: int) -> list[pa.Table]:
    step = -(-t.num_rows // parts)
    return [t.slice(i, step) for i in range(0, t.num_rows, step)]


@pytest.mark.parametrize("fan_in", [2, 3, 64])
def test_tree_merge_equals_single_machine(
    table: pa.Table,
    shuffled: pa.Table,
    fan_in: int,
    check: object,
    edges: dict[str, list[float]],
) -> None:
    spec = ProfileSpec.build(edges=edges, segment_by="seg")
    blobs = [partial_from_table(p, spec) for p in _split(shuffled, 16)]
    got = merge_partials(blobs, fan_in=fan_in)
    check(got, dl.profile(table, edges=edges, segment_by="seg"), table)  # type: ignore[operator]


def test_a_merge_node_ships_bytes(table: pa.Table, check: object) -> None:
    spec = ProfileSpec.build()
    blobs = [partial_from_table(p, spec) for p in _split(table, 4)]
    node = merge_partial_bytes([*blobs[:2], None, merge_partial_bytes(blobs[2:])])
    check(dl.Profile.from_bytes(node), dl.profile(table), table)  # type: ignore[operator]


def test_batches_stream_and_empty_partition(table: pa.Table) -> None:
    spec = ProfileSpec.build()
    assert partial_from_batches(iter([]), spec) is None
    blob = partial_from_batches(iter(table.to_batches(max_chunksize=500)), spec)
    assert blob is not None
    assert dl.Profile.from_bytes(blob).row_count == table.num_rows
    assert merge_partials([None, None]).row_count == 0


def test_incompatible_format_version_is_refused(table: pa.Table) -> None:
    spec = ProfileSpec.build()
    good = [partial_from_table(p, spec) for p in _split(table, 3)]
    bad = _with_version(good[1], 2)
    with pytest.raises(DecodeError, match=r"partial profile #1.*format version 2.*same driftline"):
        merge_partials([good[0], bad, good[2]])


def test_corrupted_and_foreign_partials_are_refused(table: pa.Table) -> None:
    blob = partial_from_table(table, ProfileSpec.build())
    flipped = blob[:20] + bytes([blob[20] ^ 0xFF]) + blob[21:]
    with pytest.raises(DecodeError, match="checksum"):
        merge_partials([blob, flipped])
    with pytest.raises(DecodeError, match="magic"):
        merge_partials([b"PARQUET-not-a-profile-at-all"])


def test_an_old_worker_is_refused_through_dask(
    table: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dask.dataframe", reason="install driftline[dask]")
    import dask
    import dask.dataframe as dd

    import driftline.dask as dld

    real = dld._partition_partial
    monkeypatch.setattr(
        dld,
        "_partition_partial",
        lambda part, spec, dtypes: _with_version(real(part, spec, dtypes), 0),
    )
    ddf = dd.from_pandas(table.select(["n"]).to_pandas(), npartitions=2)
    with dask.config.set(scheduler="sync"), pytest.raises(DecodeError, match="format version 0"):
        dld.profile(ddf)


def test_options_are_checked_on_the_driver() -> None:
    with pytest.raises(ValueError, match="bins"):
        ProfileSpec.build(bins=0)
    with pytest.raises(ValueError, match="threads"):
        ProfileSpec.build(threads=0)
    with pytest.raises(TypeError, match="sequence"):
        ProfileSpec.build(columns="x")
    with pytest.raises(ValueError, match="fan_in"):
        merge_partials([], fan_in=1)
    assert ProfileSpec.build(columns=["x"], segment_by="s").selected(["x", "y", "s"]) == ["x", "s"]


@pytest.mark.parametrize(
    ("adapter", "engine_module", "extra"),
    [
        ("driftline.spark", "pyspark", "spark"),
        ("driftline.dask", "dask", "dask"),
        ("driftline.ray", "ray", "ray"),
    ],
)
def test_missing_engine_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, adapter: str, engine_module: str, extra: str
) -> None:
    module = importlib.import_module(adapter)  # importable without the engine
    for name in list(sys.modules):
        if name == engine_module or name.startswith(engine_module + "."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, engine_module, None)
    with pytest.raises(ImportError, match=rf"pip install 'driftline\[{extra}\]'"):
        module.profile(object())
    with pytest.raises(ImportError, match=extra):
        require(f"{engine_module}.sub", extra, adapter)
