"""Event times that name no window (NaN, infinite, out of datetime's range, not a time):
a clear error naming the column, and the monitor unchanged."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import DataError, SchemaError
from driftline.monitor.window import EventTimeWindows

REF = pa.table({"x": [float(i % 10) for i in range(1000)]})


def _monitor() -> dl.Monitor:
    mon = dl.Monitor(REF, window="1h", event_time="ts", dispatch="manual")
    mon.observe(pa.table({"x": [1.0] * 3, "ts": [10.0] * 3}))
    return mon


@pytest.mark.parametrize(
    ("ts", "error"),
    [
        (pa.array([math.nan]), DataError),
        (pa.array([math.inf]), DataError),
        (pa.array([-math.inf]), DataError),
        (pa.array([1e308]), DataError),
        (pa.array([-1e308]), DataError),
        (pa.array([2**63 - 1]), DataError),
        (pa.array([-(2**63)]), DataError),
        (pa.array([2**63 - 1], pa.timestamp("s")), DataError),
        (pa.array([-(2**63)], pa.timestamp("ns")), DataError),
        (pa.array(["2024-01-01"]), SchemaError),
        (pa.array(["abc"]), SchemaError),
    ],
)
def test_a_bad_event_time_is_refused_and_the_monitor_unchanged(
    ts: pa.Array, error: type[Exception]
) -> None:
    mon = _monitor()
    windows = mon._windows
    assert isinstance(windows, EventTimeWindows)
    before = windows.watermark
    with pytest.raises(error, match="'ts'"):
        mon.observe(pa.table({"x": [1.0], "ts": ts}))
    assert windows.watermark == before
    # Later batches keep their own windows: the first closes once time passes its end.
    mon.observe(pa.table({"x": [2.0] * 2, "ts": [100.0, 4000.0]}))
    assert [(w.window, w.rows) for w in mon.history] == [("1970-01-01T00:00:00Z", 4)]
    mon.observe(pa.table({"x": [2.0], "ts": [7300.0]}))
    assert [w.window for w in mon.history] == ["1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z"]


def test_event_times_near_the_range_ends_keep_parseable_keys() -> None:
    w = EventTimeWindows("ts", 3600.0)
    first, last = -62135596800.0, 253402300799.0  # 0001-01-01 and 9999-12-31T23:59:59
    keys = [k for k, _ in w.buckets(pa.table({"ts": [first, last]}))]
    assert keys == ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z"]
    assert w.is_full(keys[0]) and not w.is_full(keys[1])
