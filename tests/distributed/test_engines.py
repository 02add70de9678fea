"""Each engine's adapter against the single-machine profile, on 1, 4 and 16 partitions of
the same rows in shuffled order."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import SchemaError

# Ray 2.60 warns about its own deprecated settings from inside ray.data.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

Check = Callable[[dl.Profile, dl.Profile, pa.Table], None]


@pytest.mark.parametrize("parts", [1, 4, 16])
def test_profile_equals_single_machine(
    engine: Callable[..., dl.Profile],
    table: pa.Table,
    shuffled: pa.Table,
    parts: int,
    check: Check,
    edges: dict[str, list[float]],
) -> None:
    want = dl.profile(table, edges=edges)
    got = engine(shuffled, parts, edges=edges)
    check(got, want, table)
    assert got.fingerprint == want.fingerprint


def test_segments_merge_by_key(
    engine: Callable[..., dl.Profile],
    table: pa.Table,
    shuffled: pa.Table,
    check: Check,
    edges: dict[str, list[float]],
) -> None:
    options = {
        "columns": ["x", "n", "city"],
        "categorical": ["n"],
        "segment_by": "seg",
        "edges": edges,
    }
    want = dl.profile(table, **options)  # type: ignore[arg-type]
    got = engine(shuffled, 4, **options)
    assert sorted(got.segments) == ["a", "b", "c"]
    check(got, want, table)


def test_quantile_bins_from_the_merged_sketch(
    engine: Callable[..., dl.Profile], table: pa.Table, shuffled: pa.Table, check: Check
) -> None:
    got = engine(shuffled, 4, columns=["x", "n"], bins=8)
    for name in ("x", "n"):
        h = got[name].histogram()
        assert h is not None and h.exact and 1 <= len(h.edges) <= 7
        # Exact counts on the edges the merged sketch chose: as one machine counts them.
        ref = dl.profile(table, columns=[name], edges={name: h.edges})[name].histogram()
        assert ref is not None and h.counts == ref.counts
    want = dl.profile(
        table,
        columns=["x", "n"],
        edges={
            c: got[c].histogram().edges  # type: ignore[union-attr]
            for c in ("x", "n")
        },
    )
    check(got, want, table)


def test_empty_partitions_ship_nothing(
    engine: Callable[..., dl.Profile], table: pa.Table, check: Check
) -> None:
    few = table.slice(0, 5)
    check(engine(few, 16), dl.profile(few), few)


def test_unknown_column_is_named(engine: Callable[..., dl.Profile], table: pa.Table) -> None:
    with pytest.raises(SchemaError, match="nope"):
        engine(table, 2, columns=["x", "nope"])


def test_bad_option_fails_before_any_job(
    engine: Callable[..., dl.Profile], table: pa.Table
) -> None:
    with pytest.raises(ValueError, match="bins"):
        engine(table, 2, bins=0)


def test_tree_reduction_with_small_fan_in(
    engine_name: str,
    engine: Callable[..., dl.Profile],
    table: pa.Table,
    shuffled: pa.Table,
    check: Check,
    edges: dict[str, list[float]],
) -> None:
    # 16 partitions with fan_in=3: Spark and Dask merge in several levels on the workers.
    if engine_name == "ray":
        pytest.skip("Ray merges on the driver only")
    got = engine(shuffled, 16, fan_in=3, edges=edges)
    check(got, dl.profile(table, edges=edges), table)


def test_worker_errors_reach_the_driver(engine: Callable[..., dl.Profile], table: pa.Table) -> None:
    # A type the core refuses: the worker's SchemaError names the column on the driver.
    tags = pa.array([[i] for i in range(table.num_rows)], pa.list_(pa.int64()))
    with pytest.raises(Exception, match=r"column 'tags': unsupported type"):
        engine(table.append_column("tags", tags), 2)
