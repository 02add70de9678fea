"""Benchmark data: sizes (quick or full) and the wide mixed table the suites share.

``DRIFTLINE_BENCH_QUICK=1`` (the default, and what ``make test`` sets) shrinks every size
about 100x so that the suite checks the benchmarks still run; ``DRIFTLINE_BENCH_QUICK=0``
(``make bench``) runs the sizes the issue names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

QUICK = os.environ.get("DRIFTLINE_BENCH_QUICK", "1") != "0"

#: Values in the histogram benchmark.
HIST_VALUES = 1_000_000 if QUICK else 100_000_000
#: Rows of the wide table (20 numeric + 5 string columns).
WIDE_ROWS = 10_000 if QUICK else 1_000_000
#: Rows of the multi-GB Parquet file of the peak-memory check (full mode only).
BIG_ROWS = 16_000_000
#: Rows per Parquet row group: polars' default, a common writer's choice.
ROW_GROUP_ROWS = 262_144
#: Timed rounds of a case (after one warm-up round); fewer at full size, where one round of
#: the 1e8-value cases takes seconds.
ROUNDS = 5 if QUICK else 3
#: Quantiles every profiler is asked for.
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
#: Categories of the five string columns.
CARDINALITIES = (5, 20, 100, 500, 1000)
N_NUMERIC = 20


def histogram_values(n: int = HIST_VALUES, seed: int = 1) -> np.ndarray:
    """``n`` standard normal float64 values."""
    return np.random.default_rng(seed).standard_normal(n)


def decile_edges(values: np.ndarray) -> np.ndarray:
    """10 reference quantile edges (5%, 15%, ..., 95%) of a sample of ``values``: the edges
    a reference profile hands to a histogram."""
    sample = values[: min(len(values), 1_000_000)]
    return np.quantile(sample, np.linspace(0.05, 0.95, 10))


def wide_table(rows: int = WIDE_ROWS, seed: int = 2) -> pa.Table:
    """``rows`` x (20 float64 + 5 string) columns.

    Numeric columns cycle through normal, lognormal, uniform, exponential and a bimodal
    mixture at different scales; every third one has 1% nulls and one has 0.1% NaN. String
    columns have 5, 20, 100, 500 and 1000 categories with Zipf-like frequencies, the first
    one with 1% nulls.
    """
    rng = np.random.default_rng(seed)
    cols: dict[str, pa.Array] = {}
    for i in range(N_NUMERIC):
        kind = i % 5
        if kind == 0:
            x = rng.normal(100.0 * i, 10.0 + i, rows)
        elif kind == 1:
            x = rng.lognormal(3.0, 1.0, rows)
        elif kind == 2:
            x = rng.uniform(-1.0, 1.0, rows)
        elif kind == 3:
            x = rng.exponential(2.5, rows)
        else:
            x = np.where(rng.random(rows) < 0.3, rng.normal(-5, 1, rows), rng.normal(5, 2, rows))
        if i == 7:
            x[rng.random(rows) < 0.001] = np.nan
        mask = rng.random(rows) < 0.01 if i % 3 == 0 else None
        cols[f"num_{i:02d}"] = pa.array(x, mask=mask)
    for j, k in enumerate(CARDINALITIES):
        weights = 1.0 / np.arange(1, k + 1) ** 0.8
        codes = rng.choice(k, rows, p=weights / weights.sum()).astype(np.int32)
        mask = rng.random(rows) < 0.01 if j == 0 else None
        labels = pa.array([f"cat{j}_{c:04d}" for c in range(k)])
        dict_arr = pa.DictionaryArray.from_arrays(pa.array(codes, mask=mask), labels)
        cols[f"str_{j}"] = dict_arr.cast(pa.string())
    return pa.table(cols)


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Writes ``table`` with :data:`ROW_GROUP_ROWS` rows per group (snappy, the default)."""
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS)
    return path


def write_big_parquet(path: Path, rows: int = BIG_ROWS, chunk: int = 1_000_000) -> Path:
    """A multi-GB file of the wide table's schema, written chunk by chunk."""
    writer: pq.ParquetWriter | None = None
    try:
        for i, n in enumerate(_chunks(rows, chunk)):
            t = wide_table(n, seed=100 + i)
            if writer is None:
                writer = pq.ParquetWriter(path, t.schema)
            writer.write_table(t, row_group_size=ROW_GROUP_ROWS)
    finally:
        if writer is not None:
            writer.close()
    return path


def _chunks(rows: int, chunk: int) -> Iterator[int]:
    for start in range(0, rows, chunk):
        yield min(chunk, rows - start)
