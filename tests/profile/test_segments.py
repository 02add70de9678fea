"""segment_by: one profile per key value, in the same pass."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

import driftline as dl


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
    t = pa.table({"k": pa.array(key, mask=rng.random(n) < 0.01), "v": rng.normal(size=n)})
    p = dl.profile(t, segment_by="k")
    assert len(p.segments) == len(np.unique(key[:n])) + 1 or len(p.segments) > 90_000
    assert "__null__" in p.segments
    assert sum(p.segments[k].row_count for k in p.segments) == n


def test_segmented_profiles_merge_by_key(rng: np.random.Generator) -> None:
    t = pa.table({"k": ["a", "b", "a", "c"], "v": [1.0, 2.0, 3.0, 4.0]})
    u = pa.table({"k": ["a", "d"], "v": [5.0, 6.0]})
    m = dl.profile(t, segment_by="k").merge(dl.profile(u, segment_by="k"))
    assert sorted(m.segments) == ["a", "b", "c", "d"]
    assert m.segments["a"]["v"].mean == 3.0
    assert dl.Profile.from_bytes(m.to_bytes()) == m
