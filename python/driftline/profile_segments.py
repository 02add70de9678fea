"""The table of a segmented profile: a row per segment, each column's scalars
(:meth:`driftline.Profile.segment_table`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from driftline._arrow import batch_arrays

__all__ = ["segment_table"]


def segment_table(inner: Any, columns: list[str]) -> pl.DataFrame:
    """A row per segment of the native profile ``inner`` (every segment, sorted by key):
    ``segment``, ``rows`` and each column's null rate, NaN count, mean, population std,
    min, max and distinct count, as :class:`~driftline.profile.ColumnProfile` defines
    them (null where undefined)."""
    # Every segment in the stored order: no key lookups.
    index = inner.segment_index()
    data: dict[str, Any] = {
        "segment": pl.Series(index.column(0)),
        "rows": index.column(1).to_numpy().astype(np.int64),
    }
    batches = inner.segment_column_arrays(None, columns)
    for column, batch in zip(columns, batches, strict=True):
        a = batch_arrays(batch)
        rows = a["count"] + a["null_count"]
        with np.errstate(divide="ignore", invalid="ignore"):
            null_rate = np.where(rows > 0, a["null_count"] / rows, 0.0)
            std = np.sqrt(a["m2"] / a["finite_count"])
        has_mean = ~np.isnan(a["mean"])
        data[f"{column}.null_rate"] = null_rate
        data[f"{column}.nan_count"] = a["nan_count"].astype(np.int64)
        data[f"{column}.mean"] = _nan_to_null(a["mean"])
        data[f"{column}.std"] = _nan_to_null(np.where(has_mean, std, np.nan))
        data[f"{column}.min"] = _nan_to_null(a["min"])
        data[f"{column}.max"] = _nan_to_null(a["max"])
        data[f"{column}.distinct"] = np.rint(a["distinct"]).astype(np.int64)
    return pl.DataFrame(data)


def _nan_to_null(a: np.ndarray) -> pl.Series:
    """A float array with NaN as null (polars keeps NaN and null apart)."""
    return pl.Series(a, dtype=pl.Float64).fill_nan(None)
