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


def plain_value(value: Any) -> Any:
    """A date, datetime or time as ISO 8601 text, a timedelta as its seconds; any other
    value unchanged."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value
