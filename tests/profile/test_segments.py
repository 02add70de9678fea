"""segment_by: one profile per key value, in the same pass."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import SchemaError


def test_segments_match_a_polars_group_by(rng: np.random.Generator) -> None:
    n = 200_000
    sku = rng.integers(0, 2_000, n)
    sales = rng.gamma(2.0, 10.0, n)
    t = pa.table({"sku": pa.array(np.char.add("sku-", sku.astype(str))), "sales": sales})
    p = dl.profile(t, segment_by="sku")
    assert p.segment_by == "sku" and len(p.segments) == len(np.unique(sku))
    g = (
        pl.from_arrow(t)
        .group_by("sku")
        .agg(
            pl.len().alias("n"),
            pl.col("sales").mean().alias("mean"),
            pl.col("sales").max().alias("max"),
        )
    )
    for row in g.sample(50, seed=1).iter_rows(named=True):
        s = p.segments[row["sku"]]
        assert s.row_count == row["n"]
        assert abs(s["sales"].mean - row["mean"]) <= 1e-9 * abs(row["mean"])
        assert s["sales"].max == row["max"]
        assert "sku" not in s.columns
    assert p["sales"].count == n  # the overall profile is there too


def test_many_segments_and_null_keys(rng: np.random.Generator) -> None:
    n = 300_000
    key = rng.integers(0, 100_000, n)
    masked = rng.random(n) < 0.01
    v = rng.normal(size=n)
    t = pa.table({"k": pa.array(key, mask=masked), "v": v})
    p = dl.profile(t, segment_by="k")
    present = np.unique(key[~masked])
    assert len(p.segments) == len(present) + 1
    assert "__null__" in p.segments
    assert p.segments["__null__"].row_count == masked.sum()
    assert sum(p.segments[k].row_count for k in p.segments) == n
    # The integer keys (coded from a table by value) name the same segments, with the
    # same rows, as the keys given as text.
    as_text = dl.profile(t.set_column(0, "k", t["k"].cast(pa.string())), segment_by="k")
    assert sorted(as_text.segments) == sorted(p.segments)
    for k in [str(present[0]), str(present[-1]), "__null__"]:
        want = v[masked] if k == "__null__" else v[(key == int(k)) & ~masked]
        assert p.segments[k].row_count == as_text.segments[k].row_count == len(want)
        assert abs(p.segments[k]["v"].mean - want.mean()) < 1e-12


def test_segmented_profiles_merge_by_key(rng: np.random.Generator) -> None:
    t = pa.table({"k": ["a", "b", "a", "c"], "v": [1.0, 2.0, 3.0, 4.0]})
    u = pa.table({"k": ["a", "d"], "v": [5.0, 6.0]})
    m = dl.profile(t, segment_by="k").merge(dl.profile(u, segment_by="k"))
    assert sorted(m.segments) == ["a", "b", "c", "d"]
    assert m.segments["a"]["v"].mean == 3.0
    assert dl.Profile.from_bytes(m.to_bytes()) == m


def test_segment_table_matches_numpy_per_segment(rng: np.random.Generator) -> None:
    n = 20_000
    key = rng.integers(0, 40, n)
    x = rng.normal(3.0, 2.0, n)
    x[rng.random(n) < 0.05] = np.nan
    x[key == 7] = np.inf  # a segment whose values are all infinite: no finite mean
    mask = (rng.random(n) < 0.1) | (key == 5)  # segment 5 all null
    c = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    t = pa.table(
        {"k": pa.array(np.char.add("k", key.astype(str))), "x": pa.array(x, mask=mask), "c": c}
    )
    p = dl.profile(t, segment_by="k")
    table = p.segment_table()
    assert table.height == 40 and table["segment"].to_list() == sorted(set(t["k"].to_pylist()))
    for row in table.iter_rows(named=True):
        sel = t["k"].to_numpy(zero_copy_only=False) == row["segment"]
        xs, m = x[sel], mask[sel]
        vals = xs[~m]
        finite = vals[np.isfinite(vals)]
        assert row["rows"] == sel.sum()
        assert row["x.null_rate"] == m.sum() / sel.sum()
        assert row["x.nan_count"] == np.isnan(vals).sum()
        if finite.size:
            assert abs(row["x.mean"] - finite.mean()) <= 1e-12 * max(1.0, abs(finite.mean()))
            assert abs(row["x.std"] - finite.std()) <= 1e-9 * finite.std()
        else:
            assert row["x.mean"] is None and row["x.std"] is None
        present = vals[~np.isnan(vals)]
        if present.size:
            assert (row["x.min"], row["x.max"]) == (present.min(), present.max())
        else:
            assert row["x.min"] is None and row["x.max"] is None
        assert row["c.distinct"] == len(set(c[sel]))
        assert row["c.mean"] is None
    worst = p.worst_segments("x.null_rate", n=3)
    assert worst["segment"][0] == "k5" and worst["x.null_rate"][0] == 1.0
    assert worst["x.null_rate"].is_sorted(descending=True)
    least = p.worst_segments("rows", n=40, descending=False)
    assert least["rows"].is_sorted()


def test_segment_table_refuses_unsegmented_profiles_and_unknown_columns() -> None:
    with pytest.raises(ValueError, match="not segmented"):
        dl.profile({"x": [1.0]}).segment_table()
    p = dl.profile({"k": ["a"], "x": [1.0]}, segment_by="k")
    with pytest.raises(SchemaError, match="'nope'"):
        p.segment_table(["nope"])
    with pytest.raises(ValueError, match=r"no segment metric 'x\.median'"):
        p.worst_segments("x.median")
