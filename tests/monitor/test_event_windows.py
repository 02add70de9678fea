"""Event-time window assignment on every Arrow time type, against Python integer floors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from driftline.monitor.window import EventTimeWindows


def _iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _assignment(windows: EventTimeWindows, col: pa.Array) -> list[str | None]:
    """Each row's window key, from the masks `buckets` returns."""
    out: list[str | None] = [None] * len(col)
    for key, mask in windows.buckets(pa.table({"ts": col})):
        rows = range(len(col)) if mask is None else np.flatnonzero(mask.to_numpy(False))
        for i in rows:
            assert out[i] is None, "a row in two windows"
            out[i] = key
    return out


@pytest.mark.parametrize(("unit", "per"), [("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9)])
@pytest.mark.parametrize("tz", [None, "UTC", "Europe/Paris"])
def test_timestamps_of_every_unit_floor_to_their_window(
    unit: str, per: int, tz: str | None
) -> None:
    hour = 3600 * per
    base = 1_700_000_000 * per // hour * hour
    rng = np.random.default_rng(per)
    ticks = [base - 1, base, base + hour - 1, base + hour, -1, 0, -hour - 1]
    ticks += [int(v) for v in rng.integers(-3 * hour, 5 * hour, 200) + base]
    values: list[int | None] = [*ticks, None]
    w = EventTimeWindows("ts", 3600.0)
    got = _assignment(w, pa.array(values, pa.timestamp(unit, tz=tz)))
    want = [None if v is None else _iso(v // hour * 3600) for v in values]
    # A null time joins no window.
    assert got == want
    assert w.watermark == pytest.approx(max(ticks) / per)


def test_dates_and_epoch_seconds() -> None:
    days = [0, 1, -1, 19_000, 19_001, None]
    w = EventTimeWindows("ts", 2 * 86400.0)
    got = _assignment(w, pa.array(days, pa.date32()))
    assert got == [None if d is None else _iso(d // 2 * 2 * 86400) for d in days]
    secs = [0.5, 3599.999, 3600.0, -0.25, None]
    w = EventTimeWindows("ts", 3600.0)
    got = _assignment(w, pa.array(secs, pa.float64()))
    assert got == [None if s is None else _iso(int(s // 3600 * 3600)) for s in secs]


def test_a_window_that_is_no_whole_number_of_ticks() -> None:
    """Half-second windows on second timestamps take the float path."""
    w = EventTimeWindows("ts", 0.5)
    got = _assignment(w, pa.array([0, 1, 2], pa.timestamp("s")))
    assert got == [_iso(0), _iso(1), _iso(2)]
