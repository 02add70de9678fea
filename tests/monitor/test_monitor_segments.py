"""``Monitor(segment_by=...)``: per-segment data profiles and performance in each window,
checked against ``dl.profile`` / ``dl.performance`` on the same rows, under threads, and
with segments that come and go between windows."""

from __future__ import annotations

import threading

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import driftline as dl
from driftline.exceptions import SchemaError

SKUS = np.array([f"sku-{i}" for i in range(12)])


def table(
    rng: np.random.Generator, n: int, skus: np.ndarray = SKUS, noise: float = 0.1
) -> pa.Table:
    sku = rng.choice(skus, n)
    # Each SKU has its own level and its own error rate: segments differ for real.
    level = np.char.str_len(sku.astype(str)).astype(float) + rng.normal(0, 1, n)
    x = rng.normal(0, 1, n)
    y = (x > 0).astype(np.int64)
    flip = rng.random(n) < noise * (1 + (sku == skus[0]) * 3)
    pred = np.where(flip, 1 - y, y)
    price = np.where(rng.random(n) < 0.05, np.nan, level * 10)
    return pa.table(
        {
            "x": x,
            "price": pa.array(price, from_pandas=True),
            "color": rng.choice(["red", "green", "blue"], n),
            "sku": sku,
            "y": y,
            "pred": pred,
        }
    )


def monitor(rng: np.random.Generator, ref: pa.Table | None = None, **options: object) -> dl.Monitor:
    opts: dict[str, object] = {
        "prediction": "pred",
        "label": "y",
        "segment_by": "sku",
        "window": 6000,
        "dispatch": "manual",
        "flush_rows": 256,
    }
    opts.update(options)
    reference = table(rng, 20_000) if ref is None else ref
    return dl.Monitor(reference, **opts)  # type: ignore[arg-type]


def feed(mon: dl.Monitor, data: pa.Table, start: int, stop: int) -> None:
    """Rows [start, stop) as one-row dicts, small batches and one large batch."""
    third = start + (stop - start) // 3
    for row in data.slice(start, third - start).to_pylist():
        mon.observe(row)
    for off in range(third, third + (stop - third) // 2, 97):
        mon.observe(data.slice(off, min(97, third + (stop - third) // 2 - off)))
    rest = third + (stop - third) // 2
    mon.observe(data.slice(rest, stop - rest))


def assert_same_profile(got: dl.Profile, want: dl.Profile) -> None:
    """The exact parts of two profiles are equal (the means to the last few bits)."""
    assert got.row_count == want.row_count
    assert got.columns == want.columns
    for c in got.columns:
        g, w = got[c], want[c]
        assert (g.count, g.null_count, g.nan_count) == (w.count, w.null_count, w.nan_count), c
        if g.kind == "numeric":
            assert (g.min, g.max) == (w.min, w.max), c
            assert g.mean == pytest.approx(w.mean, rel=1e-12, abs=1e-12), c
            assert g.std == pytest.approx(w.std, rel=1e-9, abs=1e-12), c
            assert g.histogram().counts == w.histogram().counts, c
        else:
            assert g.frequencies() == w.frequencies(), c


def direct_profile(mon: dl.Monitor, rows: pa.Table) -> dl.Profile:
    """``dl.profile`` of the rows on the monitor's histogram edges, segmented by SKU."""
    edges = {c: mon.reference[c].histogram().edges for c in ("x", "price", "pred")}
    return dl.profile(rows, columns=["x", "price", "color", "pred"], segment_by="sku", edges=edges)


def test_window_segments_equal_direct_profile_and_performance(
    rng: np.random.Generator,
) -> None:
    mon = monitor(rng)
    data = table(rng, 6000)
    # A tenth of the rows are not labelled yet: performance uses the labelled ones.
    unlabelled = rng.random(6000) < 0.1
    data = data.set_column(
        data.schema.get_field_index("y"),
        "y",
        pa.array(np.where(unlabelled, None, np.asarray(data["y"])), type=pa.int64()),
    )
    feed(mon, data, 0, 6000)
    [w] = mon.history
    assert w.errors == [] and w.rows == 6000

    want = direct_profile(mon, data)
    assert sorted(w.segments) == sorted(want.segments) == sorted(set(data["sku"].to_pylist()))
    for key in want.segments:
        assert_same_profile(w.segments[key], want.segments[key])
    assert_same_profile(w.profile, want)

    labelled = data.filter(pc.is_valid(data["y"]))
    perf = dl.performance(labelled, prediction="pred", label="y", segment_by="sku")
    assert w.segment_performance.sort("sku").equals(perf.segments.sort("sku"))
    worst = w.worst_segments("accuracy", 3)
    assert worst.equals(perf.worst("accuracy", 3))
    assert worst["sku"][0] == SKUS[0]  # the SKU with four times the errors

    summary = w.to_dict()["segments"]
    assert summary["by"] == "sku" and summary["count"] == len(want.segments)
    rows = {d["sku"]: d["rows"] for d in summary["data"]}
    assert rows == {k: want.segments[k].row_count for k in want.segments}
    assert {d["sku"]: d["accuracy"] for d in summary["performance"]} == dict(
        zip(perf.segments["sku"], perf.segments["accuracy"], strict=True)
    )


def test_eight_threads_equal_a_single_thread(rng: np.random.Generator) -> None:
    data = table(rng, 24_000)
    ref = table(rng, 20_000)
    single = monitor(rng, ref, window=10**9)
    feed(single, data, 0, 24_000)
    one = single.close_window()
    threaded = monitor(rng, ref, window=10**9)

    def work(k: int) -> None:
        # Each thread: its own 3,000 rows, as dicts, small batches and a large batch.
        feed(threaded, data, k * 3000, (k + 1) * 3000)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    many = threaded.close_window()
    assert one is not None and many is not None
    assert many.rows == one.rows == 24_000 == threaded.rows_observed
    assert sorted(many.segments) == sorted(one.segments)
    for key in one.segments:
        assert_same_profile(many.segments[key], one.segments[key])
    assert many.segment_performance.sort("sku").equals(one.segment_performance.sort("sku"))
    assert many.segment_data().sort("sku").equals(one.segment_data().sort("sku"))


def test_segments_that_come_and_go(rng: np.random.Generator) -> None:
    mon = monitor(rng, window=2000, label=None, prediction=None)
    first = table(rng, 2000, skus=SKUS[:3])
    second = table(rng, 2000, skus=SKUS[2:5])
    third = table(rng, 1000, skus=SKUS[:1])
    mon.observe(first)
    mon.observe(second)
    mon.observe(third)
    last = mon.close_window()
    assert last is not None
    windows = list(mon.history)
    assert [sorted(w.segments) for w in windows] == [
        sorted(SKUS[:3]),
        sorted(SKUS[2:5]),
        [SKUS[0]],
    ]
    for w, rows in zip(windows, (first, second, third), strict=True):
        assert w.segment_performance is None  # no label: data only
        data = w.segment_data().sort("sku")
        counts = pl.from_arrow(rows.group_by("sku").aggregate([("sku", "count")]))
        expected = counts.rename({"sku_count": "rows"}).sort("sku")
        assert data["sku"].to_list() == expected["sku"].to_list()
        assert data["rows"].to_list() == expected["rows"].to_list()
    # A segment seen only in the second window is in no other window's worst list.
    assert SKUS[4] not in windows[0].worst_segments("rows", 10)["sku"].to_list()
    assert SKUS[4] in windows[1].worst_segments("rows", 10)["sku"].to_list()
    with pytest.raises(ValueError, match="no labelled rows"):
        windows[0].worst_segments("accuracy")


def test_segment_drift_is_computed_on_demand(rng: np.random.Generator) -> None:
    mon = monitor(rng, window=4000)
    data = table(rng, 4000)
    shifted = pc.equal(data["sku"], SKUS[1])
    x = np.where(np.asarray(shifted), np.asarray(data["x"]) + 4.0, np.asarray(data["x"]))
    data = data.set_column(0, "x", pa.array(x))
    mon.observe(data)
    [w] = mon.history
    worst = w.worst_segments("share_drifted", 1)
    assert worst["sku"].to_list() == [SKUS[1]]
    assert worst["share_drifted"][0] > 0


def test_the_segment_column_is_required(rng: np.random.Generator) -> None:
    mon = monitor(rng)
    with pytest.raises(SchemaError, match="segment column 'sku'"):
        mon.observe(table(rng, 10).drop_columns(["sku"]))
    with pytest.raises(SchemaError, match="sku"):
        mon.observe({"x": 0.1, "price": 1.0, "color": "red", "y": 1, "pred": 1})
    assert mon.rows_observed == 0
    plain = dl.Monitor(table(rng, 1000), window=100, dispatch="manual")
    plain.observe(table(rng, 100))
    with pytest.raises(ValueError, match="segment_by"):
        plain.history[-1].worst_segments("rows")
    assert plain.history[-1].segments == {}
    assert plain.history[-1].to_dict()["segments"] is None


def test_a_date_segment_key_and_sensitive_column_give_json_ready_windows(
    rng: np.random.Generator,
) -> None:
    # Segmented by day, with the day also the sensitive column: the window's performance
    # per day equals dl.performance on its rows, and to_dict is JSON (days as ISO text).
    import datetime as dt
    import json

    n = 3000
    days = rng.integers(19_000, 19_003, n).astype("datetime64[D]")
    data = pa.table(
        {
            "x": rng.normal(size=n),
            "p": rng.integers(0, 2, n),
            "y": rng.integers(0, 2, n),
            "day": pa.array(days),
        }
    )
    mon = dl.Monitor(
        data,
        features=["x"],
        prediction="p",
        label="y",
        sensitive=["day"],
        window=1000,
        segment_by="day",
        dispatch="manual",
    )
    mon.observe(data)
    w = mon.history[0]
    assert not w.errors
    want = dl.performance(data.slice(0, 1000), prediction="p", label="y", segment_by="day").segments
    assert want is not None and want.schema["day"] == pl.Date
    got = w.segment_performance
    assert got["day"].to_list() == want["day"].to_list()
    np.testing.assert_allclose(got["accuracy"].to_numpy(), want["accuracy"].to_numpy(), atol=1e-12)
    out = json.loads(json.dumps(w.to_dict()))
    first = want["day"][0]
    assert isinstance(first, dt.date)
    assert out["segments"]["performance"][0]["day"] == first.isoformat()
    assert {r["day"] for r in out["fairness"]["by_group"]} == {
        d.isoformat() for d in want["day"].to_list()
    }
