"""Window assignment: by row count, by wall-clock time, or by an event-time column.

A window policy splits each incoming batch into ``(key, rows)`` pieces and says which
window keys are complete. Keys are strings that name a window stably across restarts (the
trigger ids derive from them): ``w00000042`` for row-count windows, the ISO start time for
time windows. The monitor calls these under its lock; they hold no lock of their own.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from driftline.exceptions import DataError, SchemaError
from driftline.policies import parse_duration

__all__ = ["ClockWindows", "CountWindows", "EventTimeWindows", "Piece", "make_windows"]

# (window key, offset, length) for a contiguous slice, or (window key, mask) for a filter.
Piece = tuple[str, Any]


# Ticks of each Arrow timestamp unit in a second.
_TICKS_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


# Window starts a key can name: years 1 to 9999 (Python's datetime range).
_FIRST_START = dt.datetime(1, 1, 1, tzinfo=dt.UTC).timestamp()
_LAST_START = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp()
_INT64_MIN = -(2**63)


def _iso(seconds: float) -> str:
    d = dt.datetime.fromtimestamp(seconds, dt.UTC)
    # The year padded by hand: strftime's %Y does not pad years before 1000 on glibc,
    # and is_full parses the key back.
    return f"{d.year:04d}-" + d.strftime("%m-%dT%H:%M:%SZ")


class CountWindows:
    """Windows of exactly ``size`` rows (the last may be closed early by ``close_window``)."""

    def __init__(self, size: int, *, start: int = 0) -> None:
        if size < 1:
            raise ValueError("a row-count window needs size >= 1")
        self.size = size
        self.index = start
        self.filled = 0

    @property
    def current(self) -> str:
        """Key of the open window."""
        return f"w{self.index:08d}"

    def assign(self, n: int) -> list[tuple[str, int, int]]:
        """Split ``n`` rows into ``(key, offset, length)``; advances the counter."""
        out = []
        offset = 0
        while n > 0:
            take = min(n, self.size - self.filled)
            out.append((self.current, offset, take))
            offset += take
            n -= take
            self.filled += take
            if self.filled == self.size:
                self.index += 1
                self.filled = 0
        return out

    def assign_one(self) -> tuple[str, bool]:
        """One row: its window key and whether that row filled the window."""
        key = self.current
        self.filled += 1
        if self.filled == self.size:
            self.index += 1
            self.filled = 0
            return key, True
        return key, False

    def is_full(self, key: str) -> bool:
        """True once ``key`` is no longer the open window."""
        return key != self.current

    def advance(self) -> None:
        """Start a new window now (``close_window``)."""
        self.index += 1
        self.filled = 0

    def state(self) -> dict[str, Any]:
        """What to persist."""
        return {"index": self.index}


class ClockWindows:
    """Tumbling wall-clock windows of ``seconds``, aligned on the epoch."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.time) -> None:
        if seconds <= 0:
            raise ValueError("a time window needs a positive duration")
        self.seconds = seconds
        self.clock = clock
        # Keys closed early, of the period ``seq_start`` only: a key of an earlier period
        # is full anyway (it is not the current one), so the set never outgrows the early
        # closes of one period.
        self.forced: set[str] = set()
        self.seq = 0
        self.seq_start: float | None = None

    def _start(self) -> float:
        return math.floor(self.clock() / self.seconds) * self.seconds

    @property
    def current(self) -> str:
        """Key of the open window: the period's start, with ``#n`` for the n-th window
        opened in the same period after ``close_window``."""
        return self._key(self._start())

    def _key(self, start: float) -> str:
        seq = self.seq if start == self.seq_start else 0
        return _iso(start) + (f"#{seq}" if seq else "")

    def assign_one(self) -> tuple[str, bool]:
        """One row: the open window (never full on arrival)."""
        return self.current, False

    def assign(self, n: int) -> list[tuple[str, int, int]]:
        """All rows of a batch go to the open window."""
        return [(self.current, 0, n)]

    def is_full(self, key: str) -> bool:
        """True once the window's period is over (or it was closed early)."""
        return key in self.forced or key != self.current

    def advance(self) -> None:
        """Close the open window early; later rows in this period get a new key."""
        start = self._start()
        if start != self.seq_start:
            self.seq_start, self.seq = start, 0
            self.forced.clear()
        self.forced.add(self._key(start))
        self.seq += 1

    def state(self) -> dict[str, Any]:
        """What to persist."""
        return {}


class EventTimeWindows:
    """Tumbling windows on an event-time column (timestamps or epoch seconds).

    A window ``[start, start + seconds)`` is complete once the largest event time seen,
    minus ``lateness`` seconds, has passed its end; rows later than that go to their own
    window, which closes at the next check.
    """

    def __init__(self, column: str, seconds: float, *, lateness: float = 0.0) -> None:
        if seconds <= 0:
            raise ValueError("an event-time window needs a positive duration")
        self.column = column
        self.seconds = seconds
        self.lateness = lateness
        self.watermark = -math.inf

    def _starts(self, col: Any) -> tuple[pa.Array, float | None]:
        """Each row's window start in epoch seconds (null for a null time), and the
        largest event time. Timestamps and dates are floored in their own integer unit
        when the window is a whole number of it, so a nanosecond before a boundary stays
        in the earlier window (float seconds would round it onto the boundary).

        Raises SchemaError for a column that holds no times, DataError for a time that
        names no window (NaN, infinite, beyond the years 1 to 9999)."""
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        typ = col.type
        if not (
            pa.types.is_timestamp(typ)
            or pa.types.is_date(typ)
            or pa.types.is_integer(typ)
            or pa.types.is_floating(typ)
            or pa.types.is_decimal(typ)
            or pa.types.is_null(typ)
        ):
            raise SchemaError(
                f"the event-time column {self.column!r} is {typ}: it must hold timestamps, "
                "dates or epoch seconds (numbers)"
            )
        per_second: float | None = None
        if pa.types.is_timestamp(col.type):
            per_second = _TICKS_PER_SECOND[col.type.unit]
            ticks = pc.cast(col, pa.int64())
        elif pa.types.is_date(col.type):
            per_second = 1 / 86400
            ticks = pc.cast(pc.cast(pc.cast(col, pa.date32()), pa.int32()), pa.int64())
        if per_second is not None and (self.seconds * per_second).is_integer():
            width = int(self.seconds * per_second)
            first = pc.min(ticks).as_py()
            if first is not None and first < _INT64_MIN + width:
                # Flooring it to its window would wrap around the int64 range.
                raise DataError(
                    f"the event-time column {self.column!r} holds a time outside the years "
                    "1 to 9999"
                )
            valid = pc.is_valid(ticks).to_numpy(zero_copy_only=False)
            t = pc.fill_null(ticks, 0).to_numpy(zero_copy_only=False)
            starts = (t // width * width) / per_second
            top = pc.max(ticks).as_py()
            out = pa.array(starts, pa.float64(), mask=~valid)
            mx = None if top is None else top / per_second
        else:
            secs = (
                pc.divide(pc.cast(ticks, pa.float64()), per_second)
                if per_second is not None
                # Unsafe: an integer beyond 2**53 rounds, and is out of range anyway.
                else pc.cast(col, pa.float64(), safe=False)
            )
            self._check_finite(secs)
            out = pc.multiply(pc.floor(pc.divide(secs, self.seconds)), self.seconds)
            mx = pc.max(secs).as_py()
        lo, hi = pc.min_max(out).values()
        if lo.is_valid and not (lo.as_py() >= _FIRST_START and hi.as_py() <= _LAST_START):
            raise DataError(
                f"the event-time column {self.column!r} holds a time outside the years "
                f"1 to 9999 (window starts from {lo.as_py()} to {hi.as_py()} epoch seconds)"
            )
        return out, mx

    def _check_finite(self, secs: pa.Array) -> None:
        bad = pc.sum(pc.invert(pc.is_finite(secs))).as_py()
        if bad:
            raise DataError(
                f"the event-time column {self.column!r} holds {bad} NaN or infinite "
                "value(s): an event time must be a finite number of epoch seconds"
            )

    def buckets(self, table: pa.Table) -> list[tuple[str, pa.Array | None]]:
        """``(key, boolean mask)`` per window the batch touches (mask None: all rows).

        The batch is checked before anything changes: a batch that raises leaves the
        watermark, and so every later window, as it was."""
        if self.column not in table.column_names:
            raise KeyError(self.column)
        starts, mx = self._starts(table.column(self.column))
        uniq = [u for u in pc.unique(starts).to_pylist() if u is not None]
        if len(uniq) == 1 and starts.null_count == 0:
            out: list[tuple[str, pa.Array | None]] = [(_iso(uniq[0]), None)]
        else:
            out = [(_iso(u), pc.fill_null(pc.equal(starts, u), False)) for u in sorted(uniq)]
        if mx is not None:
            self.watermark = max(self.watermark, mx - self.lateness)
        return out

    def is_full(self, key: str) -> bool:
        """True once the watermark passed the window's end."""
        start = dt.datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        return start.timestamp() + self.seconds <= self.watermark

    def advance(self) -> None:
        """Event-time windows close by the watermark; ``close_window`` closes them all."""

    def state(self) -> dict[str, Any]:
        """What to persist."""
        return {"watermark": self.watermark}


def make_windows(
    window: int | str | float | dt.timedelta,
    *,
    event_time: str | None = None,
    lateness: float | str = 0.0,
    clock: Callable[[], float] = time.time,
) -> CountWindows | ClockWindows | EventTimeWindows:
    """A window policy from ``window=10_000`` (rows) or ``"1h"`` (time)."""
    if isinstance(window, bool):
        raise TypeError("window is a row count or a duration such as '1h'")
    if isinstance(window, int) and event_time is None:
        return CountWindows(window)
    seconds = parse_duration(window)
    if event_time is not None:
        return EventTimeWindows(event_time, seconds, lateness=parse_duration(lateness))
    return ClockWindows(seconds, clock=clock)
