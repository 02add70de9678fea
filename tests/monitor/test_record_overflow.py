"""Dict records with integers Arrow cannot hold, and windows whose every record is
dropped: the window's good rows and its schema finding are kept."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl

REF = pa.table({"x": [float(i % 10) for i in range(1000)], "cat": ["a", "b"] * 500})


@pytest.mark.parametrize("huge", [2**70, 2**64 - 1, -(2**63) - 1])
@pytest.mark.parametrize("flush_rows", [2, 4096])
def test_a_huge_int_is_dropped_and_the_good_rows_kept(huge: int, flush_rows: int) -> None:
    mon = dl.Monitor(REF, window=1000, dispatch="manual", flush_rows=flush_rows)
    good = [1.0, 2.0, 4.0]
    mon.observe({"x": good[0], "cat": "a"})
    mon.observe({"x": huge, "cat": "a"})  # neither raises here ...
    for v in good[1:]:
        mon.observe({"x": v, "cat": "b"})
    w = mon.close_window()  # ... nor here
    assert w is not None and w.rows == 3
    assert w.profile["x"].mean == pytest.approx(float(np.mean(good)))
    [finding] = [q for q in w.quality if q["check"] == "schema"]
    assert "1 of" in finding["problems"][0] and "'x'" in finding["problems"][0]
    assert list(mon.history) == [w]


def test_int64_bounds_still_fit() -> None:
    mon = dl.Monitor(REF, window=1000, dispatch="manual")
    mon.observe({"x": 2**63 - 1, "cat": "a"})
    mon.observe({"x": -(2**63), "cat": "a"})
    w = mon.close_window()
    assert w is not None and w.rows == 2
    assert not [q for q in w.quality if q["check"] == "schema"]


def test_a_window_of_dropped_records_only_is_kept_in_history() -> None:
    mon = dl.Monitor(REF, window=1000, dispatch="manual")
    mon.observe({"x": "s", "cat": "a"})
    mon.observe({"x": 2**70, "cat": "a"})
    mon.close_window()  # no rows: nothing to return ...
    [w] = mon.history  # ... but the window and its finding are kept
    assert w.rows == 0 and w.profile is None and w.drift is None
    [finding] = [q for q in w.quality if q["check"] == "schema"]
    assert finding["problems"][0].startswith("2 of 2 records dropped")
    assert w.to_dict()["quality"] == w.quality


def test_a_row_count_window_of_dropped_records_closes_when_full() -> None:
    mon = dl.Monitor(REF, window=2, dispatch="manual")
    mon.observe({"x": "s", "cat": "a"})
    mon.observe({"x": "t", "cat": "a"})
    [w] = mon.history
    assert w.rows == 0 and [q["check"] for q in w.quality] == ["schema"]
