"""Parquet benchmarks: ``profile_parquet`` against reading the same file with pyarrow.

- ``parquet``: the wide table (1M x 25; quick: 10k) as Parquet with 262,144-row groups:
  ``pq.read_table`` alone against ``dl.profile_parquet`` (target: at most 2x the time, as
  decoding and profiling overlap).
- ``parquet-memory`` (full mode only): peak resident memory of a fresh process profiling a
  multi-GB file (target: under 1 GiB), beside ``pq.read_table`` of the same file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import driftline as dl
from bench_data import QUICK, write_big_parquet
from bench_measure import Target, measure

MEMORY_SCRIPT = Path(__file__).with_name("parquet_memory.py")


@pytest.mark.benchmark(group="parquet")
def test_read_table(benchmark, wide_parquet) -> None:
    t = measure(benchmark, lambda: pq.read_table(wide_parquet), label="pyarrow read_table")
    assert t.num_columns == 25


@pytest.mark.benchmark(group="parquet")
def test_profile_parquet(benchmark, wide_parquet, wide) -> None:
    p = measure(
        benchmark,
        lambda: dl.profile_parquet(wide_parquet, progress=False),
        label="driftline profile_parquet",
        targets=(Target("max_slowdown", 2.0, ("pyarrow read_table",)),),
    )
    assert p.row_count == wide.num_rows


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if QUICK:
        pytest.skip("the multi-GB file is written in full mode only (DRIFTLINE_BENCH_QUICK=0)")
    path = write_big_parquet(tmp_path_factory.mktemp("big") / "big.parquet")
    yield path
    path.unlink(missing_ok=True)


def _run(mode: str, path: Path, out: list[dict[str, float]]) -> None:
    try:
        proc = subprocess.run(
            [sys.executable, str(MEMORY_SCRIPT), mode, str(path)],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{mode} on {path} did not finish in 900 s (hung?)\n{exc.stderr or ''}")
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"{mode} on {path} failed with code {exc.returncode}\n{exc.stderr}")
    out.append(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.timeout(1800)
@pytest.mark.benchmark(group="parquet-memory")
def test_read_table_memory(benchmark, big_parquet) -> None:
    runs: list[dict[str, float]] = []
    measure(
        benchmark,
        lambda: _run("pyarrow", big_parquet, runs),
        label="pyarrow read_table",
        rounds=1,
        warmup=0,
        seconds=lambda: runs[-1]["seconds"],
        size=lambda: runs[-1]["peak_rss"],
    )
    benchmark.extra_info["file_bytes"] = big_parquet.stat().st_size


@pytest.mark.timeout(1800)
@pytest.mark.benchmark(group="parquet-memory")
def test_profile_parquet_memory(benchmark, big_parquet) -> None:
    runs: list[dict[str, float]] = []
    measure(
        benchmark,
        lambda: _run("driftline", big_parquet, runs),
        label="driftline profile_parquet",
        rounds=1,
        warmup=0,
        seconds=lambda: runs[-1]["seconds"],
        targets=(Target("max_bytes", 1024**3),),
        size=lambda: runs[-1]["peak_rss"],
    )
    peak = runs[-1]["peak_rss"]
    benchmark.extra_info["file_bytes"] = big_parquet.stat().st_size
    size_gib = big_parquet.stat().st_size / 2**30
    print(f"\npeak RSS {peak / 2**20:.0f} MiB profiling a {size_gib:.2f} GiB file")
