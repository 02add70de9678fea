"""The table of a segmented profile: a row per segment, each column's scalars
(:meth:`driftline.Profile.segment_table`)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import polars as pl

__all__ = ["segment_table"]


def segment_table(inner: Any, columns: list[str]) -> pl.DataFrame:
    """A row per segment of the native profile ``inner`` (every segment, sorted by key):
    ``segment``, ``rows`` and each column's null rate, NaN count, mean, population std,
    min, max and distinct count, as :class:`~driftline.profile.ColumnProfile` defines
    them (null where undefined)."""
    import pyarrow as pa

    # Every segment in the stored order: no key lookups. The table is built as Arrow
    # arrays (NaN turned into null while converting) and handed to polars once.
    index = inner.segment_index()
    names = ["segment", "rows"]
    arrays = [index.column(0), index.column(1).cast(pa.int64())]
    batches = inner.segment_column_arrays(None, columns)
    for column, batch in zip(columns, batches, strict=True):

        def get(field: str, batch: Any = batch) -> np.ndarray:
            return batch.column(field).to_numpy()

        nulls = get("null_count").astype(np.float64)
        rows = get("count") + nulls
        mean = get("mean")
        with np.errstate(divide="ignore", invalid="ignore"):
            null_rate = np.where(rows > 0, nulls / rows, 0.0)
            std = np.where(np.isnan(mean), np.nan, np.sqrt(get("m2") / get("finite_count")))
        names += [f"{column}.{m}" for m in ("null_rate", "nan_count", "mean", "std")]
        names += [f"{column}.{m}" for m in ("min", "max", "distinct")]
        arrays += [
            pa.array(null_rate),
            batch.column("nan_count").cast(pa.int64()),
            _nan_to_null(mean),
            _nan_to_null(std),
            _nan_to_null(get("min")),
            _nan_to_null(get("max")),
            pa.array(np.rint(get("distinct")).astype(np.int64)),
        ]
    # A Table converts to a DataFrame (only an Array would give a Series).
    return cast(pl.DataFrame, pl.from_arrow(pa.Table.from_arrays(arrays, names=names)))


def _nan_to_null(a: np.ndarray) -> Any:
    """A float array as Arrow, NaN as null (polars keeps NaN and null apart)."""
    import pyarrow as pa

    return pa.array(a, type=pa.float64(), from_pandas=True)
