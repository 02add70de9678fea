"""Result tables and values as plain JSON-ready Python values: a temporal segment or group
key (a date, datetime, time or duration) as its ISO 8601 text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

__all__ = ["plain_rows", "plain_value"]


def plain_rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``df`` as dicts, temporal columns as ISO 8601 text."""
    temporal = [c for c, t in df.schema.items() if t.is_temporal()]
    if temporal:
        df = df.with_columns(pl.col(c).dt.to_string("iso") for c in temporal)
    return df.to_dicts()


def plain_value(value: Any, dtype: pl.DataType | None = None) -> Any:
    """A date, datetime, time or timedelta as the ISO 8601 text :func:`plain_rows` gives
    a column of ``dtype`` (polars formats both: a nanosecond timestamp keeps its nine
    digits); any other value unchanged."""
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        dtype = dtype if dtype is not None and dtype.is_temporal() else None
        return pl.Series([value], dtype=dtype).dt.to_string("iso").item()
    return value
