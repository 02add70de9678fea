"""Temporal values as the numbers a profile holds for a temporal column, and back.

A profile reads a date, timestamp, time or duration column as the integers Arrow stores
(days, milliseconds, ... since the epoch or midnight, by the column's type), so a rule
bound given as a ``datetime.date`` or ``datetime.datetime`` is turned into that number
before it is compared, and a column's numbers back into values for messages. A naive
datetime is taken as UTC, as Arrow takes it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["from_number", "to_number"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PER_SECOND = {"s": 1, "ms": 10**3, "µs": 10**6, "us": 10**6, "ns": 10**9}
# A profile's dtype text: date32, date64, timestamp(ms, "tz"), time64(µs), duration(s).
_TYPE = re.compile(r"^(date32|date64|timestamp|duration|time32|time64)(?:\((s|ms|µs|us|ns)\b)?")
_TEMPORAL = (dt.date, dt.time, dt.timedelta)


def _ticks(delta: dt.timedelta, per_second: int) -> int:
    """``delta`` in units of ``1 / per_second`` seconds, exactly (floored)."""
    whole = (delta.days * 86_400 + delta.seconds) * per_second
    return whole + delta.microseconds * per_second // 10**6


def _since_epoch(value: dt.date) -> dt.timedelta:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware - _EPOCH
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC) - _EPOCH


def to_number(value: Any, dtype: str, column: str) -> Any:
    """``value`` as the number the profile of a ``dtype`` column holds (``value`` itself
    when it is not a date, datetime, time or timedelta, or the column not temporal).

    Raises ``ValueError`` naming the column when the value's kind does not fit the type
    (a time for a date column, a date for a numeric one).
    """
    if not isinstance(value, _TEMPORAL):
        return value
    m = _TYPE.match(dtype)
    kind, unit = (m.group(1), m.group(2)) if m else ("", None)
    per = _PER_SECOND.get(unit or "s", 1)
    if isinstance(value, dt.date) and kind in ("date32", "date64", "timestamp"):
        delta = _since_epoch(value)
        if kind == "date32":
            return _ticks(delta, 1) / 86_400 if isinstance(value, dt.datetime) else delta.days
        return _ticks(delta, 1000 if kind == "date64" else per)
    if isinstance(value, dt.time) and kind in ("time32", "time64"):
        since = dt.timedelta(
            hours=value.hour,
            minutes=value.minute,
            seconds=value.second,
            microseconds=value.microsecond,
        )
        return _ticks(since, per)
    if isinstance(value, dt.timedelta) and kind == "duration":
        return _ticks(value, per)
    raise ValueError(f"column {column!r} is {dtype}: a {type(value).__name__} bound does not apply")


def from_number(x: float, dtype: str) -> Any:
    """A number of a ``dtype`` column's profile as a value of its type, for messages (the
    number itself for other types, or out of Python's range)."""
    m = _TYPE.match(dtype)
    if m is None:
        return x
    kind, unit = m.group(1), m.group(2)
    per = _PER_SECOND.get(unit or "s", 1)
    try:
        if kind == "date32":
            return (_EPOCH + dt.timedelta(days=x)).date()
        if kind == "date64":
            return (_EPOCH + dt.timedelta(milliseconds=x)).date()
        if kind == "timestamp":
            return _EPOCH + dt.timedelta(seconds=x / per)
        if kind == "duration":
            return dt.timedelta(seconds=x / per)
        return (dt.datetime.min + dt.timedelta(seconds=x / per)).time()
    except (OverflowError, ValueError):
        return x
