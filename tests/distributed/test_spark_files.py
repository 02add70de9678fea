"""Spark DataFrames that are plain scans of local Parquet files: read by the executors from
the files, with the same profile as the mapInArrow path and the single machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    rng = np.random.default_rng(11)
    n = 30_000
    x = rng.normal(3.0, 2.0, n)
    x[rng.random(n) < 0.01] = np.nan
    table = pa.table(
        {
            "x": pa.array(x, mask=rng.random(n) < 0.02),
            "k": rng.integers(-1000, 1000, n),
            "flag": rng.random(n) < 0.3,
            "c": pa.array(np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n)]),
        }
    )
    d = tmp_path_factory.mktemp("spark-files") / "data"
    d.mkdir()
    for i, off in enumerate(range(0, n, 10_000)):
        pq.write_table(table.slice(off, 10_000), d / f"part-{i}.parquet", row_group_size=3_000)
    return d, table


def _same(p: dl.Profile, q: dl.Profile) -> None:
    assert p.row_count == q.row_count and set(p.columns) == set(q.columns)
    for c in p.columns:
        a, b = p[c], q[c]
        assert (a.count, a.null_count, a.nan_count) == (b.count, b.null_count, b.nan_count)
        assert a.min == b.min and a.max == b.max
        if a.mean is not None:
            assert a.mean == pytest.approx(b.mean, rel=1e-12)
            assert a.std == pytest.approx(b.std, rel=1e-9)
        assert a.frequencies() == b.frequencies()


def test_a_plain_scan_is_read_from_the_files(spark_session: Any, parquet_dir: Any) -> None:
    from driftline.distributed._spark_files import parquet_scan_files

    d, table = parquet_dir
    df = spark_session.read.parquet(str(d))
    files = parquet_scan_files(df, df.columns)
    assert files is not None and len(files) == 3
    import driftline.spark as dls

    via_files = dls.profile(df, categorical=["c"])
    via_arrow = dls.profile(df, categorical=["c"], source="arrow")
    local = dl.profile(table, categorical=["c"])
    _same(via_files, local)
    _same(via_arrow, local)


def test_anything_but_a_plain_scan_goes_through_arrow(spark_session: Any, parquet_dir: Any) -> None:
    from driftline.distributed._spark_files import parquet_scan_files

    d, table = parquet_dir
    df = spark_session.read.parquet(str(d))
    filtered = df.filter(df.k > 0)
    assert parquet_scan_files(filtered, filtered.columns) is None
    computed = df.withColumn("x2", df.x * 2)
    assert parquet_scan_files(computed, computed.columns) is None
    import driftline.spark as dls

    got = dls.profile(filtered, columns=["k", "c"])
    want = dl.profile(table.filter(pa.compute.greater(table["k"], 0)), columns=["k", "c"])
    _same(got, want)


def test_segments_and_bins_through_the_files(spark_session: Any, parquet_dir: Any) -> None:
    import driftline.spark as dls

    d, table = parquet_dir
    df = spark_session.read.parquet(str(d))
    got = dls.profile(df, columns=["x", "k"], segment_by="c", bins=5)
    want = dl.profile(table, columns=["x", "k"], segment_by="c", bins=5)
    assert sorted(got.segments) == sorted(want.segments)
    for key in want.segments:
        _same(got.segments[key], want.segments[key])
    # Quantile-bin edges come from the merged sketch: equal ranks within its bound.
    g, w = got["x"].histogram(), want["x"].histogram()
    assert len(g.edges) == len(w.edges) and sum(g.counts) == sum(w.counts)
    x = table["x"].drop_null().to_numpy()
    x = x[~np.isnan(x)]
    for eg, ew in zip(g.edges, w.edges, strict=True):
        assert abs(np.mean(x <= eg) - np.mean(x <= ew)) < 0.03


def test_source_is_checked(spark_session: Any, parquet_dir: Any) -> None:
    import driftline.spark as dls

    df = spark_session.read.parquet(str(parquet_dir[0]))
    with pytest.raises(ValueError, match="source"):
        dls.profile(df, source="files")


def test_file_tasks_size_their_sketches_for_the_whole_scan(tmp_path: Path) -> None:
    # No Spark here: the driver's row count from the footers, and a task's profile with it.
    from driftline.distributed._common import ProfileSpec
    from driftline.distributed._spark_files import scan_rows

    rng = np.random.default_rng(5)
    files = []
    for i in range(3):
        f = tmp_path / f"p{i}.parquet"
        pq.write_table(pa.table({"x": rng.normal(size=100_000)}), f, row_group_size=40_000)
        files.append(str(f))
    assert scan_rows(files) == 300_000
    part = pq.read_table(files[0])
    plain = ProfileSpec.build().profile(part)
    sized = ProfileSpec(expected_rows=scan_rows(files) * 10).profile(part)
    assert plain["x"].count == sized["x"].count == 100_000
    assert plain != sized  # the task's sketch sampled, as one of the whole scan's would
    x = np.sort(part["x"].to_numpy())
    for q in (0.05, 0.5, 0.95):
        r = np.searchsorted(x, sized["x"].quantile(q), side="right") / len(x)
        assert abs(r - q) <= 3 * sized["x"].quantile_rank_error
