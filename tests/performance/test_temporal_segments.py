"""Temporal segment and sensitive columns (date, timestamp with a time zone, time,
duration): grouped by their values, given back in their own type, against per-group
scikit-learn and numpy references; chunked and sliced input; partials through their
bytes; reference groups named by a date; floats refused with a hint."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from sklearn import metrics as skm

import driftline as dl
from driftline.exceptions import SchemaError

TOL = 1e-9


def table(seed: int, n: int = 3000) -> pa.Table:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)
    day = rng.integers(19_000, 19_005, n).astype("datetime64[D]")
    day_mask = rng.random(n) < 0.05
    ts = rng.integers(0, 4, n) * 3_600_000_000_000 + 1_700_000_000_000_000_000
    return pa.table(
        {
            "y": y,
            "s": s,
            "p": (s > 0.5).astype(np.int64),
            "day": pa.array(day, mask=day_mask),
            "ts": pa.array(ts, pa.timestamp("ns", tz="Europe/Paris")),
            "tod": pa.array((rng.integers(0, 3, n) * 60).astype(np.int32), pa.time32("s")),
            "wait": pa.array(rng.integers(0, 3, n) * 1000, pa.duration("ms")),
            "y_reg": rng.normal(size=n),
        }
    )


def reference_by_group(t: pa.Table, col: str) -> dict[object, dict[str, float]]:
    """Per distinct value of ``col`` (None for null): scikit-learn's metrics."""
    keys = t[col].to_pylist()
    y = t["y"].to_numpy()
    p = t["p"].to_numpy()
    s = t["s"].to_numpy()
    out = {}
    for k in set(keys):
        m = np.array([v == k for v in keys])
        out[k] = {
            "n": int(m.sum()),
            "accuracy": skm.accuracy_score(y[m], p[m]),
            "roc_auc": skm.roc_auc_score(y[m], s[m]),
            "log_loss": skm.log_loss(y[m], s[m], labels=[0, 1]),
        }
    return out


@pytest.mark.parametrize(
    ("col", "dtype"),
    [
        ("day", pl.Date),
        ("ts", pl.Datetime("ns", "Europe/Paris")),
        ("tod", pl.Time),
        ("wait", pl.Duration("ms")),
    ],
)
def test_performance_segments_keep_the_type_and_equal_scikit_learn(
    col: str, dtype: pl.DataType
) -> None:
    t = table(1)
    seg = dl.performance(t, prediction="p", label="y", score="s", segment_by=col).segments
    assert seg is not None
    assert seg.schema[col] == dtype
    want = reference_by_group(t, col)
    # Null first, then the values in order.
    keys = seg[col].to_list()
    present = sorted(k for k in want if k is not None)
    assert keys == ([None] if None in want else []) + present
    for row in seg.iter_rows(named=True):
        ref = want[row[col]]
        assert row["n"] == ref["n"]
        for m in ("accuracy", "roc_auc", "log_loss"):
            assert row[m] == pytest.approx(ref[m], abs=TOL), (col, row[col], m)


def test_chunked_and_sliced_temporal_segments_equal_the_whole() -> None:
    t = table(2)
    whole = dl.performance(t, prediction="p", label="y", score="s", segment_by="day").segments
    chunked = pa.concat_tables([t.slice(0, 1000), t.slice(1000, 1), t.slice(1001)])
    got = dl.performance(chunked, prediction="p", label="y", score="s", segment_by="day")
    assert got.segments is not None and got.segments.equals(whole)
    part = t.slice(500, 1500)
    seg = dl.performance(part, prediction="p", label="y", score="s", segment_by="day").segments
    assert seg is not None
    want = reference_by_group(part, "day")
    assert {r["day"]: r["n"] for r in seg.iter_rows(named=True)} == {
        k: v["n"] for k, v in want.items()
    }


def test_regression_and_several_columns_with_a_temporal_one() -> None:
    t = table(3)
    seg = dl.performance(
        t, prediction="s", label="y_reg", task="regression", segment_by=["tod", "p"]
    ).segments
    assert seg is not None and seg.schema["tod"] == pl.Time
    tod = np.array(t["tod"].cast(pa.int32()).to_numpy())
    for row in seg.iter_rows(named=True):
        secs = row["tod"].hour * 3600 + row["tod"].minute * 60
        m = (tod == secs) & (t["p"].to_numpy() == row["p"])
        err = t["s"].to_numpy()[m] - t["y_reg"].to_numpy()[m]
        assert row["n"] == m.sum()
        assert row["mae"] == pytest.approx(np.abs(err).mean(), abs=TOL)


def test_partials_keep_temporal_keys_through_their_bytes() -> None:
    t = table(4)
    kw = dict(prediction="p", label="y", score="s", segment_by="ts")
    parts = [dl.performance_partial(t.slice(i, 1000), **kw) for i in range(0, 3000, 1000)]
    merged = dl.PerformancePartial.merge_all([p.to_bytes() for p in parts])
    assert merged is not None
    seg = merged.report().segments
    assert seg is not None and seg.schema["ts"] == pl.Datetime("ns", "Europe/Paris")
    whole = dl.performance(t, **kw).segments
    assert whole is not None
    assert seg["ts"].to_list() == whole["ts"].to_list()
    assert seg["n"].to_list() == whole["n"].to_list()


def test_fairness_by_a_date_names_groups_and_the_reference_by_date() -> None:
    t = table(5)
    days = sorted({d for d in t["day"].to_pylist() if d is not None})
    ref = days[1]
    f = dl.fairness(
        t, prediction="p", label="y", sensitive="day", reference_group=ref, min_group_size=1
    )
    assert f.by_group.schema["day"] == pl.Date
    assert f.reference_group == (ref,)
    keys = t["day"].to_pylist()
    p = t["p"].to_numpy()
    rates = {}
    for row in f.by_group.iter_rows(named=True):
        m = np.array([k == row["day"] for k in keys])
        rates[row["day"]] = p[m].mean()
        assert row["selection_rate"] == pytest.approx(p[m].mean(), abs=TOL)
    # AIF360's disparate impact against the reference day, the one farthest from parity.
    ratios = [r / rates[ref] for k, r in rates.items() if k != ref]
    assert f.disparate_impact == pytest.approx(min(ratios, key=lambda r: min(r, 1 / r)), abs=TOL)
    # The ISO text names the same group; JSON gives dates as ISO text.
    g = dl.fairness(t, prediction="p", label="y", sensitive="day", reference_group=ref.isoformat())
    assert g.reference_group == (ref,)
    assert json.loads(f.to_json())["reference_group"] == [ref.isoformat()]
    with pytest.raises(
        dl.exceptions.InvalidParameter, match=r"'1999-01-01' is not a group; groups: null, 20"
    ):
        dl.fairness(
            t, prediction="p", label="y", sensitive="day", reference_group=dt.date(1999, 1, 1)
        )


@pytest.mark.parametrize("col", ["ts", "tod", "wait"])
def test_plain_dicts_name_temporal_groups_by_one_text(col: str) -> None:
    # The reference group and the per-group rows give a temporal value the same ISO text.
    f = dl.fairness(table(7), prediction="p", label="y", sensitive=col, min_group_size=1)
    d = json.loads(f.to_json())
    rows = [r[col] for r in d["by_group"]]
    assert all(isinstance(r, str) for r in rows) and len(set(rows)) == len(rows)
    assert d["reference_group"][0] in rows


def test_a_float_group_column_is_refused_with_a_hint() -> None:
    t = table(6)
    with pytest.raises(SchemaError, match=r"'s'.*Float64.*bin it"):
        dl.performance(t, prediction="p", label="y", segment_by="s")
