"""What a user would write instead of driftline: the baselines the benchmarks time.

Histogram counts with numpy and with two hand-written numba loops, and the statistics of
a profile (count, nulls, NaN, min, max, mean, std, quantiles, distinct count, category
counts) with numpy and with polars. Each returns its results so that the benchmarks can
check they agree with driftline's.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from bench_data import QUANTILES

# -- histograms ------------------------------------------------------------------------


def hist_numpy(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin counts with ``searchsorted`` + ``bincount`` (bins as ``side="right"`` gives)."""
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)


@numba.njit(cache=False, nogil=True)
def hist_numba_binary(values: np.ndarray, edges: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Bin counts with a binary search over the edges per value."""
    m = edges.shape[0]
    counts = np.zeros(m + 1, dtype=np.int64)
    for x in values:
        lo = 0
        hi = m
        while lo < hi:
            mid = (lo + hi) >> 1
            if edges[mid] <= x:
                lo = mid + 1
            else:
                hi = mid
        counts[lo] += 1
    return counts


@numba.njit(cache=False, nogil=True)
def hist_numba_linear(values: np.ndarray, edges: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Bin counts with a branch-free linear scan: a value's bin is the number of edges
    ``<=`` it."""
    m = edges.shape[0]
    counts = np.zeros(m + 1, dtype=np.int64)
    for x in values:
        b = 0
        for j in range(m):
            b += edges[j] <= x
        counts[b] += 1
    return counts


def warm_numba(edges: np.ndarray) -> None:
    """Compiles the numba loops (compilation is not part of the timing)."""
    sample = np.linspace(-3.0, 3.0, 101)
    hist_numba_binary(sample, edges)
    hist_numba_linear(sample, edges)


# -- full profiles -----------------------------------------------------------------------


def to_numpy_columns(table: pa.Table) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Each column as (values, null mask): float64 with NaN in null slots for numbers,
    numpy ``StringDType`` for strings. Done once, outside the timing: a numpy user holds
    data like this."""
    out: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        mask = col.is_null().to_numpy(zero_copy_only=False) if col.null_count else None
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            values = np.array(col.fill_null("").to_pylist(), dtype=np.dtypes.StringDType())
        else:
            values = col.to_numpy(zero_copy_only=False)
        out[name] = (values, mask)
    return out


def profile_numpy(columns: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> dict[str, Any]:
    """The profile's statistics, column after column, with numpy."""
    result: dict[str, Any] = {}
    qs = np.array(QUANTILES)
    for name, (values, mask) in columns.items():
        nulls = int(mask.sum()) if mask is not None else 0
        valid = values[~mask] if mask is not None else values
        if values.dtype.kind == "f":
            nan = np.isnan(valid)
            finite = valid[~nan]
            result[name] = {
                "count": valid.size,
                "nulls": nulls,
                "nan": int(nan.sum()),
                "min": finite.min(),
                "max": finite.max(),
                "mean": finite.mean(),
                "std": finite.std(),
                "quantiles": np.quantile(finite, qs),
                "distinct": np.unique(finite).size,
            }
        else:
            cats, counts = np.unique(valid, return_counts=True)
            result[name] = {
                "count": valid.size,
                "nulls": nulls,
                "distinct": cats.size,
                "frequencies": dict(zip(cats.tolist(), counts.tolist(), strict=True)),
            }
    return result


def profile_polars(df: pl.DataFrame) -> dict[str, Any]:
    """The profile's statistics with polars: one parallel ``select`` of every scalar, then
    ``value_counts`` per string column."""
    exprs: list[pl.Expr] = []
    strings: list[str] = []
    for name, dtype in df.schema.items():
        c = pl.col(name)
        exprs += [c.count().alias(f"{name}:count"), c.null_count().alias(f"{name}:nulls")]
        if dtype.is_float():
            finite = c.filter(c.is_not_nan())
            exprs += [
                c.is_nan().sum().alias(f"{name}:nan"),
                finite.min().alias(f"{name}:min"),
                finite.max().alias(f"{name}:max"),
                finite.mean().alias(f"{name}:mean"),
                finite.std(ddof=0).alias(f"{name}:std"),
                c.n_unique().alias(f"{name}:distinct"),
            ]
            exprs += [finite.quantile(q).alias(f"{name}:q{q}") for q in QUANTILES]
        else:
            strings.append(name)
            exprs.append(c.drop_nulls().n_unique().alias(f"{name}:distinct"))
    scalars = df.select(exprs).row(0, named=True)
    freqs = {name: df.get_column(name).drop_nulls().value_counts() for name in strings}
    return {"scalars": scalars, "frequencies": freqs}
