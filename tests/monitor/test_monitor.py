"""The monitor through its public API: windows, drift, quality, threads, bad input."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import SchemaError


def reference(rng: np.random.Generator, n: int = 20_000) -> pa.Table:
    return pa.table(
        {
            "x": rng.normal(0, 1, n),
            "y": rng.normal(5, 2, n),
            "c": rng.choice(["a", "b", "c"], n),
        }
    )


def test_row_count_windows_split_exactly(rng: np.random.Generator) -> None:
    mon = dl.Monitor(reference(rng), window=1000, dispatch="manual")
    mon.observe(reference(rng, 2500))
    assert [(w.window, w.rows) for w in mon.history] == [("w00000000", 1000), ("w00000001", 1000)]
    for _ in range(499):
        mon.observe({"x": 0.1, "y": 5.0, "c": "a"})
    assert len(mon.history) == 2
    mon.observe({"x": 0.1, "y": 5.0, "c": "b"})
    assert mon.history[-1].rows == 1000
    last = mon.close_window()
    assert last is None  # nothing left open
    mon.observe(reference(rng, 10))
    closed = mon.close_window()
    assert closed is not None and closed.rows == 10 and closed.window == "w00000003"
    assert mon.rows_observed == 3010


def test_large_windows_keep_the_quantile_bound(rng: np.random.Generator) -> None:
    # 600k rows in 10k-row batches: later batches sample their sketches for the window's
    # rows so far (never more than the window holds), within the stated rank error.
    mon = dl.Monitor(reference(rng), window=600_000, dispatch="manual")
    xs = []
    for _ in range(60):
        batch = reference(rng, 10_000)
        xs.append(batch["y"].to_numpy())
        mon.observe(batch)
    w = mon.history[-1]
    assert w.rows == 600_000
    y = np.sort(np.concatenate(xs))
    col = w.profile["y"]
    assert col.count == len(y) and col.min == y[0] and col.max == y[-1]
    for q in (0.01, 0.1, 0.5, 0.9, 0.99):
        r = np.searchsorted(y, col.quantile(q), side="right") / len(y)
        assert abs(r - q) <= col.quantile_rank_error
    assert col.mean == pytest.approx(float(y.mean()), rel=1e-12)


def test_window_profile_matches_direct_profile(rng: np.random.Generator) -> None:
    ref = reference(rng)
    cur = reference(rng, 3000)
    mon = dl.Monitor(ref, window=3000, dispatch="manual", flush_rows=256)
    for i in range(0, 1000):
        row = cur.slice(i, 1).to_pylist()[0]
        mon.observe(row)
    for off in range(1000, 3000, 100):
        mon.observe(cur.slice(off, 100))
    w = mon.history[-1]
    direct = dl.profile(cur)
    assert w.rows == 3000
    assert w.profile["x"].count == direct["x"].count
    assert w.profile["x"].mean == pytest.approx(float(np.mean(cur["x"])), rel=1e-12)
    assert w.profile["c"].frequencies() == direct["c"].frequencies()


def test_a_window_of_polars_pandas_and_arrow_batches(rng: np.random.Generator) -> None:
    """Batches from polars (string view columns), pandas and pyarrow (plain and large
    strings) in one window: the window's profile equals the direct profile of the same
    rows (the string view batches used to stop the window with an Arrow type error)."""
    import polars as pl

    ref = reference(rng)
    cur = reference(rng, 2000)
    mon = dl.Monitor(ref, window=2000, dispatch="manual")
    pieces = [cur.slice(off, 250) for off in range(0, 2000, 250)]
    large = pa.schema([f.with_type(pa.large_string()) if f.name == "c" else f for f in cur.schema])
    forms = [
        lambda t: pl.from_arrow(t),
        lambda t: t.to_pandas(),
        lambda t: t,
        lambda t: t.cast(large),
    ]
    for i, piece in enumerate(pieces):
        mon.observe(forms[i % 4](piece))
    (w,) = mon.history
    direct = dl.profile(cur)
    assert w.rows == 2000
    assert w.profile["c"].frequencies() == direct["c"].frequencies()
    assert w.profile["x"].mean == pytest.approx(direct["x"].mean, rel=1e-12)


def test_one_row_batches_mixed_with_records_and_batches(rng: np.random.Generator) -> None:
    # One-row tables take the records' path; a window mixing all three forms equals the
    # profile of the same rows, and windows split at the same row counts.
    ref = reference(rng)
    cur = reference(rng, 2500)
    mon = dl.Monitor(ref, window=1000, dispatch="manual", flush_rows=64)
    for i in range(0, 700):
        piece = cur.slice(i, 1)
        mon.observe(piece if i % 2 else piece.to_pylist()[0])
    for off in range(700, 2500, 100):
        mon.observe(cur.slice(off, 100))
    assert [w.rows for w in mon.history] == [1000, 1000]
    rest = mon.close_window()
    assert rest is not None and rest.rows == 500
    first = cur.slice(0, 1000)
    w = mon.history[0]
    direct = dl.profile(first)
    assert w.profile["x"].count == 1000
    assert w.profile["x"].mean == pytest.approx(float(np.mean(first["x"])), rel=1e-12)
    assert w.profile["y"].min == direct["y"].min and w.profile["y"].max == direct["y"].max
    assert w.profile["c"].frequencies() == direct["c"].frequencies()
    assert mon.rows_observed == 2500


@pytest.mark.parametrize("flush_rows", [4, 4096])
def test_records_that_do_not_fit_are_dropped_and_the_window_kept(
    rng: np.random.Generator, flush_rows: int
) -> None:
    # A record's values are checked only when its batch of records becomes a table (so
    # that observe stays cheap): the ones that do not fit the reference are dropped as a
    # finding of their window, the others and the window's batches kept.
    mon = dl.Monitor(reference(rng), window=1000, dispatch="manual", flush_rows=flush_rows)
    batch = reference(rng, 100)
    mon.observe(batch)
    good = [{"x": 0.5, "y": 5.0, "c": "a"}, {"x": np.float32(1.0), "y": 4, "c": None}]
    bad = [
        {"x": "oops", "y": 5.0, "c": "a"},  # a string for a numeric feature
        {"x": [1.0], "y": 5.0, "c": "b"},  # a list
        {"x": 0.1, "y": 5.0, "c": 3},  # a number for a categorical feature
    ]
    for r in [good[0], *bad, good[1]]:
        mon.observe(r)
    w = mon.close_window()
    assert w is not None and w.rows == 102
    assert w.profile["x"].count == 102
    want = np.concatenate([np.asarray(batch["x"]), [0.5, 1.0]])
    assert w.profile["x"].mean == pytest.approx(float(want.mean()), rel=1e-12)
    dropped = [q for q in w.quality if q.get("check") == "schema"]
    assert dropped and all("records dropped" in p for q in dropped for p in q["problems"])
    assert sum(int(p.split(" of ")[0]) for q in dropped for p in q["problems"]) == 3
    # A window of bad records only closes empty (no result), and the next one is clean.
    mon.observe({"x": "only", "y": "bad", "c": "a"})
    assert mon.close_window() is None
    mon.observe(reference(rng, 10))
    nxt = mon.close_window()
    assert nxt is not None and nxt.rows == 10
    assert not [q for q in nxt.quality if q.get("check") == "schema"]


def test_one_row_batch_with_a_bad_schema_is_refused(rng: np.random.Generator) -> None:
    mon = dl.Monitor(reference(rng), window=1000, dispatch="manual")
    with pytest.raises(SchemaError):
        mon.observe(pa.table({"x": [1.0]}))
    mon.observe(reference(rng, 1))
    assert mon.rows_observed == 1


def test_injected_shift_is_detected(rng: np.random.Generator) -> None:
    ref = reference(rng)
    fired: list[dict[str, Any]] = []
    mon = dl.Monitor(
        ref,
        window=5000,
        policies=[dl.policies.Drift(features=1)],
        actions=[dl.actions.Call(fired.append, name="collect")],
        dispatch="inline",
    )
    mon.observe(reference(rng, 5000))
    assert not mon.history[-1].drift.drifted
    assert fired == []
    shifted = reference(rng, 5000)
    shifted = shifted.set_column(0, "x", pa.array(np.asarray(shifted["x"]) + 0.5))
    mon.observe(shifted)
    w = mon.history[-1]
    drifted = [f.column for f in w.drift.features if f.drifted]
    assert drifted == ["x"]
    assert len(w.triggers) == 1 and fired[0]["details"]["drifted"] == ["x"]
    assert mon.outbox.list("delivered")[0].trigger_id == w.triggers[0].id


def test_quality_findings(rng: np.random.Generator) -> None:
    ref = reference(rng)
    mon = dl.Monitor(
        ref,
        window=1000,
        dispatch="manual",
        policies=[dl.policies.DataQuality(null_rate_increase=0.1)],
    )
    cur = reference(rng, 1000)
    x = np.asarray(cur["x"]).copy()
    x[:50] = 100.0
    mask = np.zeros(1000, bool)
    mask[:300] = True
    cur = pa.table(
        {
            "x": pa.array(x),
            "y": pa.array(np.asarray(cur["y"]), mask=mask),
            "c": pa.array(["zz"] * 10 + cur["c"].to_pylist()[10:]),
        }
    )
    mon.observe(cur)
    q = {f["check"]: f for f in mon.history[-1].quality}
    assert q["null_rate"]["column"] == "y" and q["null_rate"]["increase"] == pytest.approx(0.3)
    assert q["unseen_categories"]["categories"] == ["zz"]
    assert q["out_of_range"]["column"] == "x" and q["out_of_range"]["share"] == pytest.approx(
        0.05, abs=0.015
    )
    assert len(mon.history[-1].triggers) == 1


def test_schema_mismatch_raises_then_keeps_working(rng: np.random.Generator) -> None:
    mon = dl.Monitor(reference(rng), window=100, dispatch="manual")
    with pytest.raises(SchemaError, match="missing columns"):
        mon.observe(pa.table({"x": [1.0]}))
    with pytest.raises(SchemaError, match="'x'"):
        mon.observe(pa.table({"x": ["a"], "y": [1.0], "c": ["a"]}))
    with pytest.raises(SchemaError):
        mon.observe({"x": 1.0})
    mon.observe(reference(rng, 100))
    assert mon.history[-1].rows == 100


def test_schema_mismatch_recorded(rng: np.random.Generator) -> None:
    mon = dl.Monitor(
        reference(rng),
        window=100,
        dispatch="manual",
        on_schema_error="record",
        policies=[dl.policies.DataQuality()],
    )
    mon.observe(pa.table({"x": [1.0]}))
    mon.observe(reference(rng, 100))
    w = mon.history[-1]
    assert any(f["check"] == "schema" for f in w.quality)
    assert w.triggers


def test_eight_threads_exact(rng: np.random.Generator) -> None:
    ref = reference(rng)
    data = reference(rng, 40_000)
    single = dl.profile(data)
    mon = dl.Monitor(ref, window=10**9, dispatch="manual", flush_rows=512)
    rows = data.to_pylist()[:8000]

    def work(k: int) -> None:
        for r in rows[k::8]:  # 1000 one-row dicts per thread
            mon.observe(r)
        for off in range(8000 + k * 4000, 8000 + (k + 1) * 4000, 500):
            mon.observe(data.slice(off, 500))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w = mon.close_window()
    assert w is not None and w.rows == 40_000 == mon.rows_observed
    for col in ("x", "y"):
        assert w.profile[col].count == single[col].count
        assert w.profile[col].min == single[col].min and w.profile[col].max == single[col].max
        assert w.profile[col].mean == pytest.approx(single[col].mean, rel=1e-12)
    assert w.profile["c"].frequencies() == single["c"].frequencies()


def test_concurrent_windows_close_once(rng: np.random.Generator) -> None:
    mon = dl.Monitor(reference(rng), window=1000, dispatch="manual", flush_rows=64)
    rows = reference(rng, 8000).to_pylist()

    def work(k: int) -> None:
        for r in rows[k::8]:
            mon.observe(r)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(w.window for w in mon.history) == [f"w{i:08d}" for i in range(8)]
    assert all(w.rows == 1000 for w in mon.history)


def test_event_time_windows(rng: np.random.Generator) -> None:
    ref = reference(rng)
    mon = dl.Monitor(ref, window="1h", event_time="ts", dispatch="manual")
    base = 1_700_000_000 - 1_700_000_000 % 3600
    cur = reference(rng, 300).append_column(
        "ts", pa.array(np.repeat([base, base + 3600, base + 7200], 100) + 5, type=pa.int64())
    )
    mon.observe(cur)
    assert [w.rows for w in mon.history] == [100, 100]
    mon.close_window()
    assert [w.rows for w in mon.history] == [100, 100, 100]
    assert mon.history[0].window.endswith("Z")


def test_clock_windows(rng: np.random.Generator) -> None:
    now = [1000.0]
    mon = dl.Monitor(reference(rng), window="1m", clock=lambda: now[0], dispatch="manual")
    mon.observe(reference(rng, 10))
    assert mon.poll() == []
    now[0] += 60
    (w,) = mon.poll()
    assert w.rows == 10


def test_state_survives_restart(rng: np.random.Generator, tmp_path: Path) -> None:
    ref = reference(rng)
    shifted = reference(rng, 2000)
    shifted = shifted.set_column(0, "x", pa.array(np.asarray(shifted["x"]) + 1))
    kw: dict[str, Any] = dict(
        window=2000,
        state=tmp_path / "s.db",
        dispatch="manual",
        policies=[dl.policies.Drift()],
        name="m",
    )
    mon = dl.Monitor(ref, **kw)
    mon.observe(shifted)
    assert len(mon.history[-1].triggers) == 1
    kw["policies"] = [dl.policies.Drift()]
    again = dl.Monitor(ref, **kw)
    again.observe(shifted)  # still drifting: the alert is active, no new trigger
    assert again.history[-1].window == "w00000001"
    assert again.history[-1].triggers == []


def test_suspended_model_does_not_fire(rng: np.random.Generator, tmp_path: Path) -> None:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'r.db'}")
    admin = reg.session(reg.bootstrap("admin"))
    admin.create_model("churn")
    admin.suspend("churn", reason="incident")
    shifted = reference(rng, 1000)
    shifted = shifted.set_column(0, "x", pa.array(np.asarray(shifted["x"]) + 1))
    mon = dl.Monitor(
        reference(rng),
        window=1000,
        dispatch="manual",
        registry=admin,
        model="churn",
        policies=[dl.policies.Drift()],
    )
    mon.observe(shifted)
    w = mon.history[-1]
    assert w.triggers == [] and len(w.suppressed) == 1
    assert mon.outbox.list() == []
