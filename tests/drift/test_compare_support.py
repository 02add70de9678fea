"""Where the mass sits at the edges of a distribution: moved to +-inf, a constant or
two-valued reference, and sketches that kept every value.

References: scipy on the raw values (KS, Wasserstein, chi-square on counts numpy takes
from the raw data on the reference's edges).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps

import driftline as dl


def _clipped_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """W1 with the infinite values held at the ends of the finite range (scipy)."""
    finite = np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)]])
    lo, hi = finite.min(), finite.max()
    return float(sps.wasserstein_distance(np.clip(a, lo, hi), np.clip(b, lo, hi)))


def test_mass_moved_to_infinity_drifts_in_every_mode() -> None:
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(size=2000), rng.normal(size=2000)
    cur[:1000] = np.inf
    exact = dl.compare({"x": ref}, {"x": cur})["x"]
    assert exact.statistic == pytest.approx(sps.ks_2samp(ref, cur).statistic, rel=1e-12)
    want = _clipped_wasserstein(ref, cur) / np.std(ref)
    assert exact.effect_size == pytest.approx(want, rel=1e-9)
    assert exact.drifted
    assert dl.compare({"x": ref}, {"x": cur}, mode="profile")["x"].drifted
    assert dl.compare(dl.profile({"x": ref}), dl.profile({"x": cur}))["x"].drifted


def test_exact_and_sketch_effects_agree_with_infinities() -> None:
    """Sketches that kept every value give the exact mode's numbers."""
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(size=150), rng.normal(size=120)
    ref[:10] = -np.inf
    cur[:40] = np.inf
    exact = dl.compare({"x": ref}, {"x": cur})["x"]
    sketch = dl.compare(dl.profile({"x": ref}), dl.profile({"x": cur}))["x"]
    want = _clipped_wasserstein(ref, cur) / np.std(ref[np.isfinite(ref)])
    assert exact.effect_size == pytest.approx(want, rel=1e-9)
    assert sketch.effect_size == pytest.approx(want, rel=1e-9)
    assert exact.drifted == sketch.drifted


@pytest.mark.parametrize("mode", ["auto", "profile"])
def test_a_point_moved_to_infinity_has_an_infinite_effect(mode: str) -> None:
    """No finite width to measure against: the transport distance is infinite."""
    ref = np.full(400, 5.0)
    cur = np.full(400, 5.0)
    cur[:200] = np.inf
    f = dl.compare({"x": ref}, {"x": cur}, mode=mode)["x"]
    assert f.effect_size == math.inf and f.drifted
    g = dl.compare({"x": np.full(50, -np.inf)}, {"x": np.full(50, np.inf)}, mode=mode)["x"]
    assert g.effect_size == math.inf and g.drifted
    same = dl.compare({"x": ref}, {"x": ref.copy()}, mode=mode)["x"]
    assert same.effect_size == 0.0 and not same.drifted


def _binned_reference(ref: np.ndarray, cur: np.ndarray) -> tuple[dl.DriftReport, float, float]:
    """The binned comparison, and scipy's chi-square on numpy's counts of the raw values
    on the reference profile's edges (empty bins dropped; none is sparse here)."""
    r = dl.compare({"x": ref}, {"x": cur}, mode="profile")
    edges = np.asarray(dl.profile({"x": ref}, bins=10)._inner.column_stats("x")["histogram_edges"])
    rc = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    keep = (rc + cc) > 0
    res = sps.chi2_contingency(np.vstack([rc[keep], cc[keep]]))
    return r, float(res.statistic), float(res.pvalue)


@pytest.mark.parametrize("shift", [1.0, -1.0])
def test_a_constant_reference_sees_a_shift_in_the_binned_test(shift: float) -> None:
    n = 200_000
    f = dl.compare({"x": np.zeros(n)}, {"x": np.full(n, shift)})["x"]
    assert f.method == "chi2"
    want = sps.chi2_contingency([[n, 0], [0, n]])
    assert f.statistic == pytest.approx(want.statistic, rel=1e-9)
    assert f.p_value == pytest.approx(want.pvalue, abs=1e-300)
    assert f.drifted
    assert f.histogram is not None and f.histogram["labels"] == ["< 0", "= 0", "> 0"]


def test_two_valued_and_mostly_infinite_references_keep_their_support_apart() -> None:
    rng = np.random.default_rng(2)
    n = 20_000
    two = np.tile([0.0, 1.0], n // 2)
    moved = np.tile([0.0, 2.0], n // 2)  # 1 -> 2: same bins without an edge above 1
    r, stat, p = _binned_reference(two, moved)
    assert r["x"].statistic == pytest.approx(stat, rel=1e-9)
    assert r["x"].drifted and p < 1e-100
    mostly = np.full(n, -np.inf)
    mostly[: n // 20] = rng.normal(size=n // 20)
    shifted = mostly.copy()
    shifted[: n // 20] += 10.0
    r, stat, p = _binned_reference(mostly, shifted)
    assert r["x"].statistic == pytest.approx(stat, rel=1e-9)
    assert r["x"].drifted and p < 1e-100
    unchanged, _, _ = _binned_reference(two, two[::-1].copy())
    assert not unchanged.drifted


@pytest.mark.parametrize(
    ("a", "b"),
    [([1.0], [2.0]), (np.arange(10.0), np.arange(8.0) + 6), (np.arange(30.0), np.arange(25.0) + 9)],
)
def test_exact_sketches_give_scipys_ks_pvalue(a: list[float], b: list[float]) -> None:
    want = sps.ks_2samp(a, b)
    f = dl.compare(dl.profile({"x": a}), dl.profile({"x": b}))["x"]
    assert f.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert f.p_value == pytest.approx(want.pvalue, rel=1e-9)
    assert f.drifted == (want.pvalue < 0.05)


def test_exact_segment_sketches_give_scipys_ks_pvalue() -> None:
    a, b = np.arange(10.0), np.arange(8.0) + 6
    keys = ["s"] * len(a) + ["t"] * len(b)
    ref = pa.table({"k": keys, "x": np.concatenate([a, b])})
    cur = pa.table({"k": ["s"] * len(b) + ["t"] * len(a), "x": np.concatenate([b, a])})
    feats = dl.compare(ref, cur, segment_by="k").segment_features.sort("segment")
    want = sps.ks_2samp(a, b).pvalue
    assert feats["p_value"].to_list() == pytest.approx([want, want], rel=1e-9)


def test_segment_effect_when_the_standard_deviation_overflows() -> None:
    """Half the range, as the unsegmented comparison of the same segment's profiles."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=300) * 1e307

    def table(v: np.ndarray) -> pa.Table:
        return pa.table({"k": ["s"] * v.size, "x": v})

    r = dl.compare(table(x), table(x * 1.5), segment_by="k")
    effect = r.segment_features["effect_size"][0]
    one = dl.compare(
        dl.profile(table(x), segment_by="k").segments["s"],
        dl.profile(table(x * 1.5), segment_by="k").segments["s"],
    )["x"]
    assert effect == pytest.approx(one.effect_size, rel=1e-12)
    # The sketch's Wasserstein within its rank error of scipy's on the raw values.
    want = sps.wasserstein_distance(x, x * 1.5) / (x.max() / 2 - x.min() / 2)
    assert effect == pytest.approx(want, rel=0.1)
    assert effect > 0.1
