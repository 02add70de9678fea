"""Distributed adapters against the baselines a user would pick, measured in the same run.

- Spark local mode (2 cores): ``driftline.spark.profile`` vs the same statistics through
  Spark SQL aggregations (``count``, ``min``, ``max``, ``mean``, ``stddev``,
  ``percentile_approx``, ``approx_count_distinct``, per-category counts); target >= 10x.
- The driver's merge of 10,000 partial 25-column profiles; target < 2 s.
- Adapter cost vs each engine's own no-op pass over the same data (Spark ``mapInArrow``
  that consumes the batches, Dask ``map_partitions(len)``).
- Encoding and merging 1,000 binary performance partials of 10,000 segments each (score
  histograms, exact sums), as a driver does: ``fan_in`` bytes decoded and folded per
  native call (quick mode: 100 partials of 1,000 segments).

``DRIFTLINE_BENCH_QUICK=1`` (``make test``) shrinks 10M rows to 100k and 10k partials to 2k.
Ratios are printed and stored in each benchmark's ``extra_info``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl
from driftline import _native
from driftline.distributed._common import ProfileSpec, merge_partials, partial_from_table

# PySpark 4 warns about pandas 3 on every mapInArrow, an Arrow path that never uses pandas.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

QUICK = os.environ.get("DRIFTLINE_BENCH_QUICK", "1") != "0"
ROWS = 100_000 if QUICK else 10_000_000
PARTIALS = 2_000 if QUICK else 10_000
PERF_PARTIALS = 100 if QUICK else 1_000
PERF_SEGMENTS = 1_000 if QUICK else 10_000
NUMERIC, CATEGORICAL = 20, 5
CHUNK = 500_000


def _build() -> str:
    # A debug build carries its debug info: ~200 MB against a few MB for a release build.
    return "debug" if Path(_native.__file__).stat().st_size > 40_000_000 else "release"


def _note_build(benchmark: Any) -> None:
    benchmark.extra_info["build"] = _build()
    if _build() == "debug":
        print("\nWARNING: driftline._native is a debug build; figures are meaningless (make setup)")


def best_of(fn: Callable[[], Any], rounds: int) -> float:
    """Best wall time of ``rounds`` calls (the baseline's figure)."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _report(benchmark: Any, name: str, baseline_s: float, higher_is_better: bool = True) -> float:
    ours = benchmark.stats.stats.min
    ratio = baseline_s / ours if higher_is_better else ours / baseline_s
    benchmark.extra_info.update({"baseline_s": baseline_s, "driftline_s": ours, "ratio": ratio})
    print(f"\n{name}: driftline {ours:.3f} s, baseline {baseline_s:.3f} s, ratio {ratio:.2f}")
    return ratio


def _chunks(rows: int, seed: int) -> Iterator[pa.Table]:
    rng = np.random.default_rng(seed)
    cats = np.array([f"cat_{i:02d}" for i in range(20)])
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        cols: dict[str, Any] = {f"f{i:02d}": rng.normal(i, 1 + i, n) for i in range(NUMERIC)}
        for j in range(CATEGORICAL):
            cols[f"c{j}"] = pa.array(cats[rng.integers(0, 5 + 3 * j, n)])
        yield pa.table(cols)


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dist-bench") / "data"
    path.mkdir()
    for i, t in enumerate(_chunks(ROWS, seed=1)):
        pq.write_table(t, path / f"part-{i:04d}.parquet", row_group_size=CHUNK)
    return path


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="install driftline[spark]")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("driftline-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def _spark_sql_stats(df: Any) -> None:
    from pyspark.sql import functions as sf

    qs = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    aggs = [sf.count("*")]
    for c in df.columns:
        aggs += [sf.count(c), sf.approx_count_distinct(c)]
        if c.startswith("f"):
            aggs += [sf.min(c), sf.max(c), sf.mean(c), sf.stddev(c), sf.percentile_approx(c, qs)]
    df.agg(*aggs).collect()
    for c in df.columns:
        if c.startswith("c"):
            df.groupBy(c).count().collect()


def test_spark_profile_vs_spark_sql(benchmark: Any, spark: Any, parquet_dir: Path) -> None:
    import driftline.spark as dls

    _note_build(benchmark)
    df = spark.read.parquet(str(parquet_dir))
    rounds = 3 if QUICK else 1
    baseline = best_of(lambda: _spark_sql_stats(df), rounds)
    # A plain Parquet scan: the executors read the files (source="auto", the default).
    # One warm-up call: Spark starts its Python workers (and they import driftline) once
    # per session, a cost the SQL baseline never pays and a service pays only once.
    dls.profile(df)
    p = benchmark.pedantic(lambda: dls.profile(df), rounds=rounds, iterations=1)
    assert p.row_count == ROWS
    _report(benchmark, f"spark profile {ROWS:,} x 25 vs Spark SQL aggregations", baseline)
    arrow = best_of(lambda: dls.profile(df, source="arrow"), rounds)
    benchmark.extra_info["mapinarrow_seconds"] = arrow
    print(f"\nthrough mapInArrow: {arrow:.2f} s, {baseline / arrow:.1f}x Spark SQL")


def test_spark_adapter_vs_noop_pass(benchmark: Any, spark: Any, parquet_dir: Path) -> None:
    import driftline.spark as dls

    _note_build(benchmark)
    df = spark.read.parquet(str(parquet_dir))

    def noop(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for _ in batches:
            pass
        yield pa.RecordBatch.from_pydict({"n": pa.array([0], pa.int64())})

    rounds = 3 if QUICK else 1
    baseline = best_of(lambda: df.mapInArrow(noop, "n long").collect(), rounds)
    # The mapInArrow path itself (a plain Parquet scan would otherwise be read from files).
    benchmark.pedantic(lambda: dls.profile(df, source="arrow"), rounds=rounds, iterations=1)
    _report(benchmark, "spark profile / no-op mapInArrow pass", baseline, higher_is_better=False)


# dask's parquet reader calls pandas' deprecated reset_index(inplace=True).
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_dask_adapter_vs_noop_pass(benchmark: Any, parquet_dir: Path) -> None:
    pytest.importorskip("dask.dataframe", reason="install driftline[dask]")
    import dask
    import dask.dataframe as dd

    import driftline.dask as dld

    _note_build(benchmark)
    ddf = dd.read_parquet(str(parquet_dir), dtype_backend="pyarrow")
    rounds = 3 if QUICK else 1
    with dask.config.set(scheduler="threads", num_workers=2):
        baseline = best_of(lambda: ddf.map_partitions(len).compute(), rounds)
        benchmark.pedantic(lambda: dld.profile(ddf), rounds=rounds, iterations=1)
    _report(benchmark, "dask profile / no-op map_partitions pass", baseline, higher_is_better=False)


@pytest.fixture(scope="module")
def partials() -> list[bytes]:
    """``PARTIALS`` serialised 25-column partials (50 distinct ones, each of 2,000 rows)."""
    spec = ProfileSpec.build()
    distinct = [
        partial_from_table(t, spec)
        for t in _chunks(2_000 * 50, seed=2)
        for t in [t.slice(i, 2_000) for i in range(0, t.num_rows, 2_000)]
    ]
    return [distinct[i % len(distinct)] for i in range(PARTIALS)]


def test_driver_merge_of_partials(benchmark: Any, partials: list[bytes]) -> None:
    _note_build(benchmark)
    p = benchmark.pedantic(lambda: merge_partials(partials), rounds=3, iterations=1)
    assert p.row_count == 2_000 * PARTIALS and len(p.columns) == 25
    per_partial = np.mean([len(b) for b in partials[:50]])
    benchmark.extra_info.update({"partials": PARTIALS, "bytes_per_partial": per_partial})
    print(
        f"\nmerge {PARTIALS:,} partials of {per_partial / 1024:.1f} KiB: "
        f"{benchmark.stats.stats.min:.3f} s"
    )
    # Target: < 2 s for 10,000 partials. Reported, not asserted: the figure is decode-bound
    # and moves with the machine's load (see docs/distributed.md).
    benchmark.extra_info["target_met"] = PARTIALS < 10_000 or benchmark.stats.stats.min < 2.0


@pytest.fixture(scope="module")
def perf_partials() -> list[dl.PerformancePartial]:
    """20 distinct binary performance partials with a score and ``PERF_SEGMENTS``
    segments, 5 rows per segment each."""
    rng = np.random.default_rng(4)
    out = []
    for _ in range(20):
        n = 5 * PERF_SEGMENTS
        y = rng.integers(0, 2, n)
        s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)
        t = pa.table({"seg": rng.integers(0, PERF_SEGMENTS, n), "y": y, "s": s, "p": s > 0.5})
        out.append(
            dl.performance_partial(
                t, prediction="p", label="y", score="s", segment_by="seg", positive=True
            )
        )
    return out


def test_performance_partials_encode_and_merge(
    benchmark: Any, perf_partials: list[dl.PerformancePartial]
) -> None:
    _note_build(benchmark)
    fan_in = 64

    def run() -> dl.PerformancePartial | None:
        acc = None
        for start in range(0, PERF_PARTIALS, fan_in):
            stop = min(start + fan_in, PERF_PARTIALS)
            blobs = [perf_partials[i % len(perf_partials)].to_bytes() for i in range(start, stop)]
            part = dl.PerformancePartial.merge_all(blobs)
            assert part is not None
            acc = part if acc is None else acc.merge(part)
        return acc

    rounds = 3 if QUICK else 1
    merged = benchmark.pedantic(run, rounds=rounds, iterations=1)
    assert merged is not None
    assert merged.report().n == 5 * PERF_SEGMENTS * PERF_PARTIALS
    size = np.mean([len(p.to_bytes()) for p in perf_partials])
    benchmark.extra_info.update(
        {"partials": PERF_PARTIALS, "segments": PERF_SEGMENTS, "bytes_per_partial": size}
    )
    print(
        f"\nencode + merge {PERF_PARTIALS:,} performance partials of {PERF_SEGMENTS:,} segments "
        f"({size / 1024:.0f} KiB each): {benchmark.stats.stats.min:.3f} s"
    )


def test_single_machine_reference(benchmark: Any, parquet_dir: Path) -> None:
    """The local engine over the same files, for scale: what one process does alone."""
    benchmark.pedantic(
        lambda: dl.profile_parquet(str(parquet_dir / "*.parquet")), rounds=1, iterations=1
    )
