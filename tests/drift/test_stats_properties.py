"""Invariants of dl.stats under hypothesis."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import driftline as dl

counts = st.lists(st.integers(0, 1000), min_size=1, max_size=30)
finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)
samples = st.lists(finite, min_size=1, max_size=200)


def _pair(draw_p: list[int], draw_q: list[int]) -> tuple[list[int], list[int]] | None:
    k = min(len(draw_p), len(draw_q))
    p, q = draw_p[:k], draw_q[:k]
    if sum(p) == 0 or sum(q) == 0:
        return None
    return p, q


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_jensen_shannon_symmetric_and_bounded(p: list[int], q: list[int]) -> None:
    pair = _pair(p, q)
    if pair is None:
        return
    p, q = pair
    d = dl.stats.jensen_shannon(p, q).statistic
    assert d == dl.stats.jensen_shannon(q, p).statistic
    assert 0.0 <= d <= math.sqrt(math.log(2)) + 1e-12
    assert 0.0 <= dl.stats.jensen_shannon(p, q, base=2).statistic <= 1.0 + 1e-12


@settings(max_examples=200, deadline=None)
@given(counts, counts)
def test_count_distances_bounded(p: list[int], q: list[int]) -> None:
    pair = _pair(p, q)
    if pair is None:
        return
    p, q = pair
    assert dl.stats.psi_counts(p, q).statistic >= 0.0
    assert 0.0 <= dl.stats.hellinger(p, q).statistic <= 1.0
    assert 0.0 <= dl.stats.total_variation(p, q).statistic <= 1.0
    assert dl.stats.kl(p, q).statistic >= 0.0


@settings(max_examples=150, deadline=None)
@given(samples, samples, st.integers(1, 20))
def test_psi_nonnegative_and_ks_in_unit_interval(a: list[float], b: list[float], bins: int) -> None:
    assert dl.stats.psi(a, b, bins=bins).statistic >= 0.0
    r = dl.stats.ks_2samp(a, b)
    assert 0.0 <= r.statistic <= 1.0
    assert 0.0 <= r.pvalue <= 1.0
    assert r.statistic == dl.stats.ks_2samp(b, a).statistic


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=100), st.floats(-1e3, 1e3))
def test_wasserstein_of_a_shift_is_the_shift(a: list[float], s: float) -> None:
    x = np.asarray(a)
    d = dl.stats.wasserstein(x, x + s).statistic
    # (x + s) - x is s up to the rounding of the addition at |x| scale.
    assert math.isclose(d, abs(s), rel_tol=1e-6, abs_tol=1e-9 * (1 + np.abs(x).max()))
