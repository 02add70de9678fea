"""Wall-clock windows closed early: a suffix only for a second window of one period."""

from __future__ import annotations

import pyarrow as pa

import driftline as dl
from driftline.monitor.window import ClockWindows

REF = pa.table({"x": [float(i % 10) for i in range(1000)]})
BATCH = pa.table({"x": [1.0, 2.0]})


def test_an_early_close_suffixes_only_its_own_period() -> None:
    t = [0.0]
    mon = dl.Monitor(REF, window="1h", dispatch="manual", clock=lambda: t[0])
    mon.observe(BATCH)
    mon.close_window()
    t[0] = 60.0
    mon.observe(BATCH)  # the same hour after an early close: a second window
    t[0] = 7200.0
    mon.observe(BATCH)
    t[0] = 10800.0
    mon.observe(BATCH)
    mon.poll()
    assert [w.window for w in mon.history] == [
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z#1",
        "1970-01-01T02:00:00Z",
    ]
    t[0] = 10900.0
    mon.close_window()
    mon.observe(BATCH)
    t[0] = 14400.0
    mon.poll()
    assert [w.window for w in mon.history][3:] == [
        "1970-01-01T03:00:00Z",
        "1970-01-01T03:00:00Z#1",
    ]


def test_forced_keys_do_not_accumulate_over_periods() -> None:
    t = [0.0]
    w = ClockWindows(3600.0, clock=lambda: t[0])
    for hour in range(500):
        t[0] = hour * 3600.0
        w.advance()
        w.advance()
        assert w.current == f"{w.current.split('#')[0]}#2"
    assert len(w.forced) == 2
