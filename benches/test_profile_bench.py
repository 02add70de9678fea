"""Profile benchmarks: the histogram kernel, a full profile in memory, merge and size.

Groups (baselines first in each, so that the driftline case compares with them):

- ``histogram``: 1e8 float64 (quick: 1e6) on 10 reference quantile edges. numpy
  ``searchsorted`` + ``bincount`` and two numba loops against the kernel alone
  (``dl.histogram``, which carries the targets); two profile cases, with and without edges,
  show what the histogram adds to a whole profile.
- ``profile``: 1M rows (quick: 10k) x (20 numeric + 5 string) in memory: numpy and polars
  computing the same statistics, against ``dl.profile``; whylogs on the same Parquet file
  in its own virtualenv when one is available (full mode).
- ``merge``: merging two 25-column profiles (< 1 ms); ``size``: the bytes of a numeric
  column's profile (< 16 KiB).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import driftline as dl
from bench_baselines import (
    hist_numba_binary,
    hist_numba_linear,
    hist_numpy,
    profile_numpy,
    profile_polars,
    to_numpy_columns,
    warm_numba,
)
from bench_data import QUICK, WIDE_ROWS, decile_edges, histogram_values
from bench_measure import MEDIANS, Target, measure

HIST_BASELINES = ("numpy searchsorted+bincount",)
NUMBA_LOOPS = ("numba binary search", "numba linear scan")
NO_EDGES = "driftline profile, no edges"
WHYLOGS_PYTHON = Path(os.environ.get("DRIFTLINE_WHYLOGS_PYTHON", "/tmp/whylogs-venv/bin/python"))


@pytest.fixture(scope="module")
def hist_data() -> tuple[np.ndarray, np.ndarray, pa.Table]:
    values = histogram_values()
    edges = decile_edges(values)
    warm_numba(edges)
    return values, edges, pa.table({"x": values})


# -- histogram ---------------------------------------------------------------------------


@pytest.mark.benchmark(group="histogram")
def test_hist_numpy(benchmark, hist_data) -> None:
    values, edges, _ = hist_data
    counts = measure(benchmark, lambda: hist_numpy(values, edges), label=HIST_BASELINES[0])
    assert counts.sum() == len(values)


@pytest.mark.benchmark(group="histogram")
def test_hist_numba_binary(benchmark, hist_data) -> None:
    values, edges, _ = hist_data
    counts = measure(benchmark, lambda: hist_numba_binary(values, edges), label=NUMBA_LOOPS[0])
    assert counts.sum() == len(values)


@pytest.mark.benchmark(group="histogram")
def test_hist_numba_linear(benchmark, hist_data) -> None:
    values, edges, _ = hist_data
    counts = measure(benchmark, lambda: hist_numba_linear(values, edges), label=NUMBA_LOOPS[1])
    assert np.array_equal(counts, hist_numba_binary(values, edges))


@pytest.mark.benchmark(group="histogram")
def test_hist_driftline_profile_no_edges(benchmark, hist_data) -> None:
    _, _, table = hist_data
    p = measure(benchmark, lambda: dl.profile(table), label=NO_EDGES, role="driftline")
    assert p["x"].count == table.num_rows


@pytest.mark.benchmark(group="histogram")
def test_hist_driftline(benchmark, hist_data) -> None:
    values, edges, table = hist_data
    p = measure(
        benchmark,
        lambda: dl.profile(table, edges={"x": edges.tolist()}),
        label="driftline profile with edges",
    )
    # What the histogram adds to the profile: the difference of the two profile medians.
    with_edges = MEDIANS.get(("histogram", "driftline profile with edges"))
    without = MEDIANS.get(("histogram", NO_EDGES))
    if with_edges is not None and without is not None:
        extra = max(with_edges - without, 0.0)
        benchmark.extra_info["histogram_increment_seconds"] = extra
        rate = len(values) / extra / 1e6 if extra > 0 else float("inf")
        print(f"\nhistogram on top of the profile: {extra * 1e3:.1f} ms ({rate:,.0f}M values/s)")
    h = p["x"].histogram()
    assert h is not None and h.exact
    assert h.counts == hist_numpy(values, edges).astype(float).tolist()


@pytest.mark.benchmark(group="histogram")
def test_hist_driftline_kernel(benchmark, hist_data) -> None:
    """The histogram kernel alone (``dl.histogram``), as the targets are stated."""
    values, edges, _ = hist_data
    h = measure(
        benchmark,
        lambda: dl.histogram(values, edges.tolist()),
        label="driftline histogram kernel",
        targets=(
            Target("speedup", 5.0, HIST_BASELINES),
            Target("speedup", 1.5, NUMBA_LOOPS),
        ),
    )
    assert h.counts == hist_numpy(values, edges).astype(float).tolist()


# -- full profile in memory --------------------------------------------------------------


@pytest.mark.benchmark(group="profile")
def test_profile_numpy(benchmark, wide) -> None:
    columns = to_numpy_columns(wide)
    out = measure(benchmark, lambda: profile_numpy(columns), label="numpy", rounds=3)
    assert out["num_00"]["count"] + out["num_00"]["nulls"] == wide.num_rows


@pytest.mark.benchmark(group="profile")
def test_profile_polars(benchmark, wide) -> None:
    df = pl.from_arrow(wide)
    out = measure(benchmark, lambda: profile_polars(df), label="polars", rounds=3)
    assert out["scalars"]["num_00:count"] + out["scalars"]["num_00:nulls"] == wide.num_rows


@pytest.mark.timeout(1800)
@pytest.mark.benchmark(group="profile")
def test_profile_whylogs(benchmark, wide_parquet) -> None:
    if QUICK:
        pytest.skip("whylogs runs in full mode only (DRIFTLINE_BENCH_QUICK=0)")
    if not WHYLOGS_PYTHON.exists():
        pytest.skip(f"no whylogs virtualenv at {WHYLOGS_PYTHON} (see benches/whylogs_baseline.py)")
    script = Path(__file__).with_name("whylogs_baseline.py")
    inner: list[float] = []

    def run() -> None:
        proc = subprocess.run(
            [str(WHYLOGS_PYTHON), str(script), str(wide_parquet)],
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "WHYLOGS_NO_ANALYTICS": "True"},
        )
        inner.append(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])

    # The subprocess's own timing of why.log() excludes interpreter start and reading.
    measure(benchmark, run, label="whylogs", rounds=1, warmup=0, seconds=lambda: inner[-1])


@pytest.mark.benchmark(group="profile")
def test_profile_driftline(benchmark, wide) -> None:
    p = measure(
        benchmark,
        lambda: dl.profile(wide),
        label="driftline",
        targets=(
            Target("speedup", 10.0, ("numpy", "polars")),
            Target("speedup", 50.0, ("whylogs",)),
        ),
    )
    assert p.row_count == WIDE_ROWS and len(p) == wide.num_columns


# -- merge and size ----------------------------------------------------------------------


@pytest.mark.benchmark(group="merge")
def test_merge_two_profiles(benchmark, wide) -> None:
    half = wide.num_rows // 2
    a, b = dl.profile(wide.slice(0, half)), dl.profile(wide.slice(half))
    m = measure(
        benchmark,
        lambda: dl.merge([a, b]),
        label="driftline merge, 25 columns",
        targets=(Target("max_seconds", 1e-3),),
        rounds=50,
        warmup=5,
    )
    assert m.row_count == wide.num_rows


@pytest.mark.benchmark(group="size")
def test_numeric_column_size(benchmark, wide) -> None:
    p = dl.profile(wide, columns=["num_00"])
    blob = p.to_bytes()
    measure(
        benchmark,
        p.to_bytes,
        label="driftline numeric column profile, to_bytes",
        targets=(Target("max_bytes", 16 * 1024),),
        size=len(blob),
        rounds=20,
    )
    assert dl.Profile.from_bytes(blob) == p
