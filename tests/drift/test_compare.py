"""dl.compare: statistics against scipy, modes, schema drift, bad input."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter


def _data(seed: int, n: int, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "x": rng.normal(shift, 1.0, n),
            "y": rng.exponential(2.0, n),
            "c": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "flag": rng.random(n) < 0.3,
        }
    )


def test_exact_mode_matches_scipy() -> None:
    ref, cur = _data(1, 3000), _data(2, 2500, shift=0.3)
    r = dl.compare(ref, cur)
    assert r.mode == "exact"
    x = r["x"]
    a, b = ref["x"].to_numpy(), cur["x"].to_numpy()
    ks = sps.ks_2samp(a, b)
    assert x.method == "ks"
    assert x.statistic == pytest.approx(ks.statistic, rel=1e-9)
    assert x.p_value == pytest.approx(ks.pvalue, rel=1e-9)
    w = sps.wasserstein_distance(a, b) / np.std(a)
    assert x.effect_size == pytest.approx(w, rel=1e-9)
    assert x.drifted
    c = r["c"]
    ra = ref["c"].to_numpy(zero_copy_only=False)
    ca = cur["c"].to_numpy(zero_copy_only=False)
    cats = ["a", "b", "c", "d"]
    table = [[int((ra == k).sum()) for k in cats], [int((ca == k).sum()) for k in cats]]
    chi = sps.chi2_contingency(table)
    assert c.method == "chi2"
    assert c.statistic == pytest.approx(chi.statistic, rel=1e-9)
    assert c.p_value == pytest.approx(chi.pvalue, rel=1e-9)
    props = np.array(table, dtype=float)
    tv = 0.5 * np.abs(props[0] / props[0].sum() - props[1] / props[1].sum()).sum()
    assert c.effect_size == pytest.approx(tv, rel=1e-9)
    assert not c.drifted


def test_binned_mode_matches_scipy_on_reference_bins() -> None:
    ref, cur = _data(3, 4000), _data(4, 3000, shift=0.2)
    prof = dl.profile(ref, bins=10)
    r = dl.compare(prof, cur)
    assert r.mode == "binned"
    edges = prof["x"].histogram().edges
    a, b = ref["x"].to_numpy(), cur["x"].to_numpy()
    ca = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
    cb = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
    chi = sps.chi2_contingency([ca, cb])
    assert r["x"].method == "chi2"
    assert r["x"].statistic == pytest.approx(chi.statistic, rel=1e-9)
    assert r["x"].p_value == pytest.approx(chi.pvalue, rel=1e-9)
    assert r["x"].drifted


def test_sketch_mode_within_error_bound() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 200_000), rng.normal(0.05, 1.1, 150_000)
    r = dl.compare(dl.profile({"x": a}), dl.profile({"x": b}))
    assert r.mode == "sketch"
    f = r["x"]
    assert f.error_bound is not None and f.error_bound > 0
    assert abs(f.statistic - sps.ks_2samp(a, b).statistic) <= f.error_bound
    w = sps.wasserstein_distance(a, b) / np.std(a)
    assert f.effect_size == pytest.approx(w, abs=0.02)


def test_sketch_mode_small_profiles_are_exact() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=50), rng.normal(size=40)
    f = dl.compare(dl.profile({"x": a}), dl.profile({"x": b}))["x"]
    assert f.error_bound is None
    assert f.statistic == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-12)


def test_same_distribution_not_flagged_and_report_formats() -> None:
    r = dl.compare(_data(7, 5000), _data(8, 5000))
    assert not r.drifted and r.share_drifted == 0.0
    d = json.loads(r.to_json())
    assert d["drifted"] is False and len(d["features"]) == 4
    df = r.to_polars()
    assert df.height == 4 and df["drifted"].sum() == 0
    table = r.summary(print_table=False)
    assert table.row_count == 4


def test_schema_drift_is_reported_not_raised() -> None:
    ref = pa.table({"a": [1.0, 2.0, 3.0] * 50, "b": ["x", "y", "z"] * 50, "k": [1, 2, 3] * 50})
    cur = pa.table({"a": ["1", "2", "3"] * 50, "k": [1.0, 2.0, 3.0] * 50, "new": [1] * 150})
    r = dl.compare(ref, cur)
    changes = {(c.column, c.change) for c in r.schema_changes}
    assert ("b", "missing") in changes and ("new", "added") in changes
    assert ("a", "retyped") in changes and ("k", "retyped") in changes
    assert r["b"].drifted and "missing" in r["b"].reason
    assert r["a"].drifted and "type changed" in r["a"].reason
    assert not r["k"].drifted  # int64 -> float64 with the same values
    assert r.drifted


def test_empty_current_is_a_clear_error() -> None:
    ref = pa.table({"x": [1.0, 2.0]})
    with pytest.raises(DataError, match="current data has no rows"):
        dl.compare(ref, ref.slice(0, 0))


def test_all_null_and_nan_columns() -> None:
    n = 2000
    rng = np.random.default_rng(9)
    ref = pa.table({"x": rng.normal(size=n), "z": pa.array([None] * n, pa.float64())})
    xs = rng.normal(size=n)
    xs[: n // 2] = np.nan
    cur = pa.table({"x": xs, "z": pa.array([None] * n, pa.float64())})
    r = dl.compare(ref, cur)
    x = r["x"]
    assert x.null_rate_current == pytest.approx(0.5)
    assert x.drifted and x.null_rate_drifted and "missing-value rate" in x.reason
    assert x.statistic is not None and np.isfinite(x.statistic)
    z = r["z"]
    assert not z.drifted and z.statistic is None and "null" in z.reason
    cur2 = pa.table({"x": pa.array([None] * n, pa.float64()), "z": ref["z"]})
    r2 = dl.compare(ref, cur2)
    assert r2["x"].drifted and r2["x"].statistic is None
    assert "null" in r2["x"].reason
    assert json.loads(r2.to_json())["features"][0]["statistic"] is None


def test_infinities_are_handled() -> None:
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=1000), rng.normal(size=1000)
    b[:5] = np.inf
    f = dl.compare({"x": a}, {"x": b})["x"]
    assert np.isfinite(f.effect_size) and np.isfinite(f.statistic)
    assert f.statistic == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-9)


def test_values_near_the_float64_limits() -> None:
    """Squares and differences of values near 1e308 overflow float64 (numpy's std and
    quantile edges give inf); the Wasserstein effect is normalised by the standard
    deviation of the scaled values, and the PSI edges stay finite and in order."""
    rng = np.random.default_rng(12)
    a = rng.normal(0, 1, 2000) * 1e307
    a[:3] = [1e308, -1e308, np.finfo(np.float64).max]
    b = np.clip(a, -1e308 / 1.5, 1e308 / 1.5) * 1.5
    f = dl.compare({"x": a}, {"x": b}, methods={"x": "wasserstein"})["x"]
    std = np.std(a / 1e308) * 1e308
    assert f.statistic == pytest.approx(sps.wasserstein_distance(a, b) / std, rel=1e-9)
    assert f.drifted
    r = dl.stats.psi(a, b)
    assert all(np.isfinite(r.edges)) and list(r.edges) == sorted(set(r.edges))
    assert dl.stats.psi(a, a).statistic == 0.0
    # From sketches (no raw values kept), half the range: finite, and the shift is seen.
    big = rng.normal(0, 1, 300_000) * 1e307
    big[0], big[1] = -1e308, 1e308
    g = dl.compare(dl.profile({"x": big}), dl.profile({"x": big * 1.5}))["x"]
    assert np.isfinite(g.effect_size) and g.effect_size > 0
    assert "half its range" in g.reason


def test_unseen_and_vanished_categories_by_name() -> None:
    ref = {"c": ["a"] * 500 + ["b"] * 500 + ["gone"] * 10}
    cur = {"c": ["a"] * 500 + ["b"] * 300 + ["new"] * 200}
    f = dl.compare(ref, cur)["c"]
    assert f.unseen_categories == ["new"] and f.vanished_categories == ["gone"]
    assert f.drifted


def test_practical_significance_and_overrides() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=200_000), rng.normal(0.03, 1, 200_000)
    f = dl.compare({"x": a}, {"x": b})["x"]
    assert f.p_value < 1e-6 and not f.drifted and "negligible" in f.reason
    assert dl.compare({"x": a}, {"x": b}, min_effect=0.0)["x"].drifted
    assert dl.compare({"x": a}, {"x": b}, min_effect={"x": 0.01})["x"].drifted
    g = dl.compare({"x": a}, {"x": b}, methods={"x": "psi"})["x"]
    assert g.method == "psi" and g.p_value is None and not g.drifted
    assert dl.compare({"x": a}, {"x": b}, methods="psi", thresholds={"x": 1e-4})["x"].drifted


def test_distance_methods_match_scipy_on_bins() -> None:
    ref, cur = _data(12, 3000), _data(13, 3000, shift=0.5)
    r = dl.compare(ref, cur, methods={"x": "jensen_shannon", "c": "hellinger"})
    h = r["x"].histogram
    p, q = np.array(h["reference"]), np.array(h["current"])
    from scipy.spatial.distance import jensenshannon

    assert r["x"].statistic == pytest.approx(jensenshannon(p, q), rel=1e-9)


def test_bad_parameters() -> None:
    with pytest.raises(InvalidParameter):
        dl.compare({"x": [1.0]}, {"x": [1.0]}, correction="nope")
    with pytest.raises(InvalidParameter):
        dl.compare({"x": [1.0]}, {"x": [1.0]}, methods={"x": "nope"})
    with pytest.raises(InvalidParameter):
        dl.compare({"c": ["a"]}, {"c": ["a"]}, methods={"c": "ks"})
    with pytest.raises(InvalidParameter):
        dl.compare(dl.profile({"x": [1.0]}), {"x": [1.0]}, mode="exact")


def test_weights_and_drift_share() -> None:
    ref, cur = _data(14, 3000), _data(15, 3000, shift=0.5)
    r = dl.compare(ref, cur, drift_share=0.5)
    assert r.share_drifted == pytest.approx(0.25) and not r.drifted
    r = dl.compare(ref, cur, drift_share=0.5, weights={"x": 3, "y": 1})
    assert r.share_drifted == pytest.approx(0.75) and r.drifted


def test_parquet_paths_and_saved_profiles(tmp_path) -> None:
    import pyarrow.parquet as pq

    ref, cur = _data(16, 5000), _data(17, 5000, shift=0.4)
    pq.write_table(ref, tmp_path / "ref.parquet")
    pq.write_table(cur, tmp_path / "cur.parquet")
    r = dl.compare(str(tmp_path / "ref.parquet"), str(tmp_path / "cur.parquet"))
    assert r.mode == "binned" and r.drifted_columns == ["x"]
    (tmp_path / "ref.dlp").write_bytes(dl.profile(ref, bins=10).to_bytes())
    r = dl.compare(str(tmp_path / "ref.dlp"), str(tmp_path / "cur.parquet"))
    assert r.mode == "binned" and r.drifted_columns == ["x"]
