"""dl.stats against scipy / numpy on random data and edge cases.

P-values are compared in the same method scipy uses for the sizes at hand (exact lattice
counting when the larger sample has <= 10,000 values, kstwo.sf otherwise), to 1e-9
relative. Below 1e-300 a double has lost relative precision to gradual underflow (and
scipy clips to 0 where we may not, or the reverse), so there the comparison is absolute
with a 1e-300 floor: both are "zero" for any decision.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyarrow as pa
import pytest
import scipy.spatial.distance as ssd
import scipy.stats as ss

import driftline as dl
from driftline import _native
from driftline.exceptions import DataError

RTOL = 1e-9
P_FLOOR = 1e-300


def assert_close(got: float, want: float, rtol: float = RTOL, floor: float = 0.0) -> None:
    if math.isinf(want) or math.isinf(got):
        assert got == want
        return
    assert abs(got - want) <= max(rtol * abs(want), floor), (got, want)


def assert_p(got: float, want: float) -> None:
    assert_close(got, want, RTOL, P_FLOOR)


def _sample(kind: str, n: int, rng: np.random.Generator, shift: float = 0.0) -> np.ndarray:
    if kind == "normal":
        return rng.normal(shift, 1.0, n)
    if kind == "exponential":
        return rng.exponential(1.0 + shift, n)
    if kind == "integers":  # many ties
        return rng.poisson(3.0 + shift, n).astype(np.float64)
    if kind == "coarse":  # heavy ties, few distinct values
        return np.round(rng.normal(shift, 1.0, n), 1)
    raise AssertionError(kind)


SIZES = [
    (1, 1),
    (1, 2),
    (2, 10),
    (10, 10),
    (10, 1000),
    (1000, 1000),
    (1000, 999),
    (10000, 7),
    (10001, 1000),
    (10001, 10001),
    (100000, 1000),
    (100000, 100000),
]


@pytest.mark.parametrize("kind", ["normal", "exponential", "integers", "coarse"])
@pytest.mark.parametrize(("n", "m"), SIZES)
@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_ks_2samp_matches_scipy(kind: str, n: int, m: int, shift: float) -> None:
    rng = np.random.default_rng(hash((kind, n, m, shift)) % 2**32)
    a = _sample(kind, n, rng)
    b = _sample(kind, m, rng, shift)
    got = dl.stats.ks_2samp(a, b)
    want = ss.ks_2samp(a, b)
    assert_close(got.statistic, float(want.statistic))
    assert_p(got.pvalue, float(want.pvalue))
    assert got.statistic_location == want.statistic_location
    assert got.statistic_sign == want.statistic_sign
    assert got.method == ("exact" if max(n, m) <= 10000 else "asymp")
    assert (got.n_a, got.n_b) == (n, m)


@pytest.mark.parametrize("method", ["exact", "asymp"])
def test_ks_2samp_methods_match_scipy(method: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        n, m = rng.integers(1, 400, size=2)
        a = rng.normal(0, 1, n)
        b = rng.normal(rng.uniform(0, 1), 1, m)
        got = dl.stats.ks_2samp(a, b, method=method)
        want = ss.ks_2samp(a, b, method=method)
        assert_close(got.statistic, float(want.statistic))
        assert_p(got.pvalue, float(want.pvalue))


def test_ks_exact_pvalue_over_the_whole_lattice() -> None:
    # Every attainable statistic for a few size pairs (n == m, n | m, coprime).
    for n, m in [(5, 5), (7, 13), (20, 30), (50, 200), (97, 101)]:
        lcm = math.lcm(n, m)
        for h in range(0, lcm + 1, max(1, lcm // 60)):
            d = h / lcm
            _, got, used = _native.stats_ks_pvalue(d, n, m, "exact")
            ref, ref_method = _scipy_exact(d, n, m)
            assert used == ref_method
            assert_p(got, ref)


def _scipy_exact(d: float, n: int, m: int) -> tuple[float, str]:
    # scipy's own exact routine; where its float recursion leaves [0, 1] (e.g. p = 1 + ulp
    # at h = 1) ks_2samp falls back to kstwo.sf, and so must we.
    from scipy.stats._stats_py import _attempt_exact_2kssamp

    ok, d, p = _attempt_exact_2kssamp(n, m, math.gcd(n, m), d, "two-sided")
    if not ok:
        return float(ss.kstwo.sf(d, np.round(n * m / (n + m)))), "asymp"
    return float(np.clip(p, 0, 1)), "exact"


def test_kstwo_sf_matches_scipy_on_every_branch() -> None:
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 10, 100, 140, 141, 1000, 10000, 99999, 100001, 500000, 10**6, 3 * 10**6]:
        # scipy itself takes seconds per value on the Smirnov branch at n >= 1e5.
        k = 25 if n < 100000 else 3
        ds = np.concatenate(
            [rng.uniform(0, 1, 15), rng.uniform(0, 5 / math.sqrt(n), k), [0.5 / n, 1 / n, 0.5]]
        )
        for d in ds[ds <= 1]:
            assert_p(_native.stats_kstwo_sf(float(d), n), float(ss.kstwo.sf(d, n)))


def test_ks_rounds_effective_n_half_to_even() -> None:
    # n = m = 10001: n m / (n + m) = 5000.5 -> scipy's np.round gives 5000.
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=10001), rng.normal(0.05, 1, size=10001)
    assert_p(dl.stats.ks_2samp(a, b).pvalue, float(ss.ks_2samp(a, b).pvalue))


# ---------------------------------------------------------------- KS edge cases


def test_ks_edge_cases() -> None:
    with pytest.raises(DataError, match=r"'a'.*empty"):
        dl.stats.ks_2samp([], [1.0])
    with pytest.raises(DataError, match=r"'b'.*NaN"):
        dl.stats.ks_2samp([1.0], [1.0, math.nan])
    r = dl.stats.ks_2samp([3.0], [3.0])
    assert (r.statistic, r.pvalue) == (0.0, 1.0)
    r = dl.stats.ks_2samp([2.0] * 50, [2.0] * 70)
    assert (r.statistic, r.pvalue) == (0.0, 1.0)
    a = [-math.inf, 0.0, 1.0, math.inf]
    b = [math.inf, math.inf, 5.0]
    want = ss.ks_2samp(a, b)
    got = dl.stats.ks_2samp(a, b)
    assert_close(got.statistic, float(want.statistic))
    assert_p(got.pvalue, float(want.pvalue))
    a2, b2 = [1e308, -1e308, 0.0], [1e308, 1e308]
    assert_close(dl.stats.ks_2samp(a2, b2).statistic, float(ss.ks_2samp(a2, b2).statistic))


def test_ks_arrow_inputs() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=500)
    y = rng.normal(0.2, 1, size=300)
    want = ss.ks_2samp(x[100:400], y)
    sliced = pa.array(x).slice(100, 300)
    assert sliced.offset == 100
    assert_p(dl.stats.ks_2samp(sliced, y).pvalue, float(want.pvalue))
    chunked = pa.chunked_array([x[100:250], x[250:400]])
    assert_p(dl.stats.ks_2samp(chunked, pa.array(y)).pvalue, float(want.pvalue))
    # Nulls are dropped.
    with_nulls = pa.array([*x[100:400].tolist(), None, None])
    assert_p(dl.stats.ks_2samp(with_nulls, y).pvalue, float(want.pvalue))
    # float32 and int64 (extremes included) are read as float64, as numpy would.
    ints = np.array([np.iinfo(np.int64).min, -5, 0, 7, np.iinfo(np.int64).max], dtype=np.int64)
    other = np.array([1, 2, 3], dtype=np.int64)
    want = ss.ks_2samp(ints.astype(np.float64), other.astype(np.float64))
    got = dl.stats.ks_2samp(pa.array(ints), pa.array(other))
    assert_close(got.statistic, float(want.statistic))
    assert_p(got.pvalue, float(want.pvalue))
    f32 = pa.array(x[:50].astype(np.float32))
    want = ss.ks_2samp(x[:50].astype(np.float32).astype(np.float64), y)
    assert_p(dl.stats.ks_2samp(f32, y).pvalue, float(want.pvalue))


def test_ks_all_null_is_empty() -> None:
    with pytest.raises(DataError, match="empty"):
        dl.stats.ks_2samp(pa.array([None, None], type=pa.float64()), [1.0])


# ---------------------------------------------------------------- Wasserstein


@pytest.mark.parametrize("kind", ["normal", "exponential", "integers"])
@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 10), (1000, 999), (10001, 100000)])
def test_wasserstein_matches_scipy(kind: str, n: int, m: int) -> None:
    rng = np.random.default_rng(n * 31 + m)
    u, v = _sample(kind, n, rng), _sample(kind, m, rng, 0.3)
    assert_close(dl.stats.wasserstein(u, v).statistic, float(ss.wasserstein_distance(u, v)))
    uw, vw = rng.uniform(0, 2, n), rng.uniform(0, 2, m)
    assert_close(
        dl.stats.wasserstein(u, v, uw, vw).statistic,
        float(ss.wasserstein_distance(u, v, uw, vw)),
    )
    assert_close(
        dl.stats.wasserstein(u, v, None, vw).statistic,
        float(ss.wasserstein_distance(u, v, None, vw)),
    )


def test_wasserstein_edge_cases() -> None:
    with pytest.raises(DataError, match=r"u_values.*non-finite"):
        dl.stats.wasserstein([math.inf, 1.0], [1.0])
    with pytest.raises(DataError, match="empty"):
        dl.stats.wasserstein([1.0], [])
    with pytest.raises(DataError, match="NaN"):
        dl.stats.wasserstein([1.0], [math.nan])
    with pytest.raises(DataError, match="u_weights"):
        dl.stats.wasserstein([1.0, 2.0], [1.0], [1.0, -1.0])
    with pytest.raises(DataError, match="u_weights"):
        dl.stats.wasserstein([1.0, 2.0], [1.0], [1.0])
    assert dl.stats.wasserstein([4.0] * 3, [4.0]).statistic == 0.0
    assert_close(
        dl.stats.wasserstein([1e308, -1e307], [0.0]).statistic,
        float(ss.wasserstein_distance([1e308, -1e307], [0.0])),
    )
    # Nulls in the values drop their weights with them.
    got = dl.stats.wasserstein(pa.array([0.0, None, 1.0]), [0.5], pa.array([1.0, 5.0, 3.0]))
    assert_close(got.statistic, float(ss.wasserstein_distance([0.0, 1.0], [0.5], [1.0, 3.0])))


# ---------------------------------------------------------------- PSI


def _psi_reference(ref: np.ndarray, cur: np.ndarray, bins: int, eps: float = 1e-4) -> float:
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    finite = ref[np.isfinite(ref)]
    if bins > 1 and finite.size and (edges.size < bins - 1 or edges[-1] == finite.max()):
        # Tied quantiles: the reference's finite support gets bins of its own.
        extra = [finite.min()]
        if finite.max() < np.finfo(np.float64).max:
            extra.append(np.nextafter(finite.max(), np.inf))
        edges = np.unique(np.concatenate([edges, extra]))
    rc = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    r = rc / rc.sum()
    c = cc / cc.sum()
    r = np.where(r == 0, eps, r)
    c = np.where(c == 0, eps, c)
    return float(np.sum((c - r) * np.log(c / r)))


@pytest.mark.parametrize("kind", ["normal", "exponential", "integers", "coarse"])
@pytest.mark.parametrize(("n", "m"), [(1, 1), (10, 1000), (1000, 999), (100000, 10001)])
@pytest.mark.parametrize("bins", [1, 2, 10, 20])
def test_psi_matches_numpy_reference(kind: str, n: int, m: int, bins: int) -> None:
    rng = np.random.default_rng(n + m + bins)
    ref, cur = _sample(kind, n, rng), _sample(kind, m, rng, 0.2)
    got = dl.stats.psi(ref, cur, bins=bins)
    assert_close(got.statistic, _psi_reference(ref, cur, bins), floor=1e-15)
    assert sum(got.reference_counts) == n
    assert sum(got.current_counts) == m
    assert len(got.reference_counts) == len(got.edges) + 1


@pytest.mark.parametrize(
    "ref",
    [
        np.zeros(1000),
        np.r_[np.zeros(900), np.arange(100.0)],
        np.r_[np.ones(500), np.full(500, 2.0)],
    ],
    ids=["constant", "mostly-one-value", "two-values"],
)
def test_psi_sees_a_move_beyond_a_tied_reference(ref: np.ndarray) -> None:
    """Tied quantiles used to leave the reference's whole mass in one end bin, where a
    current sample moved beyond its range was counted too: PSI 0 for any such move."""
    for cur in (np.full(1000, ref.max() + 50.0), np.full(1000, ref.min() - 50.0)):
        got = dl.stats.psi(ref, cur, bins=10)
        assert_close(got.statistic, _psi_reference(ref, cur, 10), floor=1e-15)
        assert got.statistic > 0.25
    assert dl.stats.psi(ref, ref, bins=10).statistic == 0.0


def test_psi_counts_and_errors() -> None:
    assert_close(
        dl.stats.psi_counts([50, 50], [40, 60]).statistic,
        0.1 * math.log(0.6 / 0.5) - 0.1 * math.log(0.4 / 0.5),
    )
    assert dl.stats.psi_counts([0, 10], [0, 20]).statistic == 0.0
    with pytest.raises(DataError, match="length"):
        dl.stats.psi_counts([1, 2], [1, 2, 3])
    with pytest.raises(DataError, match="null"):
        dl.stats.psi_counts(pa.array([1, None]), [1, 2])
    with pytest.raises(DataError, match=r"current.*NaN"):
        dl.stats.psi([1.0, 2.0], [math.nan])
    with pytest.raises(DataError, match="empty"):
        dl.stats.psi([], [1.0])
    with pytest.raises(ValueError, match="bins"):
        dl.stats.psi([1.0], [1.0], bins=0)
    # inf in current lands in the end bins; 1e308 values work.
    r = dl.stats.psi([0.0, 1.0, 2.0, 1e308], [math.inf, -math.inf, 1.0], bins=2)
    assert math.isfinite(r.statistic) and r.statistic >= 0


# ---------------------------------------------------------------- chi-square


def test_chi2_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    for k in [2, 3, 10, 50]:
        obs = rng.poisson(20, k).astype(float)
        want = ss.chisquare(obs)
        got = dl.stats.chi2(obs)
        assert_close(got.statistic, float(want.statistic))
        assert_p(got.pvalue, float(want.pvalue))
        exp = rng.uniform(1, 5, k)
        exp = exp / exp.sum() * obs.sum()
        for ddof in [0, 1] if k > 2 else [0]:
            want = ss.chisquare(obs, exp, ddof=ddof)
            got = dl.stats.chi2(obs, exp, ddof=ddof)
            assert_close(got.statistic, float(want.statistic))
            assert_p(got.pvalue, float(want.pvalue))
    # A huge statistic: a tiny p-value.
    got = dl.stats.chi2([1000, 10, 10], [340, 340, 340])
    want = ss.chisquare([1000, 10, 10], [340, 340, 340])
    assert_p(got.pvalue, float(want.pvalue))


def test_chi2_sum_check_like_scipy() -> None:
    with pytest.raises(ValueError):
        ss.chisquare([10, 20], [10, 21])
    with pytest.raises(DataError, match="observed sums to"):
        dl.stats.chi2([10, 20], [10, 21])
    with pytest.raises(DataError, match="positive"):
        dl.stats.chi2([0, 30], [0, 30])
    with pytest.raises(DataError, match="empty"):
        dl.stats.chi2([])


@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("correction", [True, False])
def test_chi2_contingency_matches_scipy(k: int, correction: bool) -> None:
    rng = np.random.default_rng(k)
    table = rng.poisson(30, (2, k)).astype(float) + 1
    want = ss.chi2_contingency(table, correction=correction)
    got = dl.stats.chi2_contingency(table, correction=correction)
    assert_close(got.statistic, float(want.statistic))
    assert_p(got.pvalue, float(want.pvalue))
    assert got.dof == want.dof
    np.testing.assert_allclose(np.array(got.expected), want.expected_freq, rtol=1e-12)


def test_chi2_contingency_edges() -> None:
    with pytest.raises(DataError, match=r"\(0, 1\)"):
        dl.stats.chi2_contingency([[1, 0, 2], [3, 0, 4]])
    r = dl.stats.chi2_contingency([[1, 2, 3]])
    assert (r.statistic, r.pvalue, r.dof) == (0.0, 1.0, 0)
    with pytest.raises(ValueError, match="two-dimensional"):
        dl.stats.chi2_contingency([1, 2])


# ---------------------------------------------------------------- divergences


@pytest.mark.parametrize("k", [1, 2, 5, 100])
def test_divergences_match_references(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(5):
        p = rng.integers(0, 20, k).astype(float)
        q = rng.integers(0, 20, k).astype(float)
        p[0] += 1
        q[-1] += 1
        for base in [None, 2.0, 10.0]:
            assert_close(
                dl.stats.jensen_shannon(p, q, base=base).statistic,
                float(ssd.jensenshannon(p, q, base=base)),
                floor=1e-15,
            )
            assert_close(
                dl.stats.kl(p, q, base=base).statistic,
                float(ss.entropy(p, q, base=base)),
                floor=1e-15,
            )
        pn, qn = p / p.sum(), q / q.sum()
        h = math.sqrt(np.sum((np.sqrt(pn) - np.sqrt(qn)) ** 2) / 2)
        assert_close(dl.stats.hellinger(p, q).statistic, h, floor=1e-15)
        tv = 0.5 * np.abs(pn - qn).sum()
        assert_close(dl.stats.total_variation(p, q).statistic, tv, floor=1e-15)


def test_divergence_errors() -> None:
    with pytest.raises(DataError, match="length"):
        dl.stats.jensen_shannon([1, 2], [1])
    with pytest.raises(DataError, match=">= 0"):
        dl.stats.hellinger([1, -2], [1, 1])
    with pytest.raises(DataError, match="positive"):
        dl.stats.total_variation([0, 0], [1, 1])
    with pytest.raises(DataError, match="'q'"):
        dl.stats.kl([1, 2], [1, math.nan])
    with pytest.raises(ValueError, match="base"):
        dl.stats.jensen_shannon([1], [1], base=1)
    assert dl.stats.kl([1, 1], [1, 0]).statistic == math.inf


# ---------------------------------------------------------------- results


def test_results_are_frozen_and_serialisable() -> None:
    r = dl.stats.ks_2samp([1.0, 2.0], [3.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.statistic = 0.0  # type: ignore[misc]
    assert r.to_dict()["pvalue"] == r.pvalue
    assert set(dl.stats.chi2([1, 2]).to_dict()) == {"statistic", "pvalue", "dof"}
    assert dl.stats.hellinger([1], [1]).to_dict() == {"statistic": 0.0}
    assert "edges" in dl.stats.psi([1.0, 2.0], [1.0]).to_dict()
    assert dl.stats.chi2_contingency([[1, 2], [3, 4]]).to_dict()["dof"] == 1


def test_limiting_kolmogorov_matches_scipy() -> None:
    from scipy.stats import kstwobign

    from driftline.drift.sketch import kolmogorov_sf

    for lam in np.concatenate([np.linspace(0.0, 0.19, 5), np.linspace(0.2, 6.0, 60)]):
        expected = float(kstwobign.sf(lam))
        assert abs(kolmogorov_sf(float(lam)) - expected) <= 1e-12 + 1e-9 * expected, lam
