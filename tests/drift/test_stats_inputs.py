"""``dl.stats`` inputs at the edges of the input policy: None in a Python sample, counts
near the float64 limit, and a bin count too large to allocate.

References: scipy on the same values (None dropped, counts normalised first).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter


@pytest.mark.parametrize("wrap", [list, tuple, lambda v: np.array(v, dtype=object)])
def test_none_in_a_sample_is_dropped(wrap: object) -> None:
    a, b = [1.0, None, 3.0, 0.5], [2.0, 5.0, None]
    got = dl.stats.ks_2samp(wrap(a), wrap(b))  # type: ignore[operator]
    want = sps.ks_2samp([1.0, 3.0, 0.5], [2.0, 5.0])
    assert (got.statistic, got.pvalue) == pytest.approx((want.statistic, want.pvalue))
    assert (got.n_a, got.n_b) == (3, 2)
    w = dl.stats.wasserstein(wrap(a), wrap(b)).statistic  # type: ignore[operator]
    assert w == pytest.approx(sps.wasserstein_distance([1.0, 3.0, 0.5], [2.0, 5.0]))


def test_none_in_a_count_vector_is_still_an_error() -> None:
    with pytest.raises(DataError, match="null"):
        dl.stats.jensen_shannon([1, None], [1, 2])


def test_nan_in_a_sample_is_still_an_error() -> None:
    with pytest.raises(DataError):
        dl.stats.ks_2samp([1.0, float("nan")], [2.0])


def test_counts_near_the_float64_limit_are_normalised_first() -> None:
    big = [1e308, 1e308, 5e307]
    small = [1.0, 3.0, 2.0]
    p = np.array([1.0, 1.0, 0.5]) / 2.5  # big's proportions
    q = np.array(small) / 6.0
    js = dl.stats.jensen_shannon(big, small).statistic
    assert js == pytest.approx(float(jensenshannon(p, q)), rel=1e-12)
    assert dl.stats.kl(big, small).statistic == pytest.approx(float(sps.entropy(p, q)), rel=1e-12)
    hell = np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum())
    assert dl.stats.hellinger(big, small).statistic == pytest.approx(hell, rel=1e-12)
    tv = 0.5 * np.abs(p - q).sum()
    assert dl.stats.total_variation(small, big).statistic == pytest.approx(tv, rel=1e-12)


def test_too_many_bins_is_refused_before_allocating() -> None:
    with pytest.raises(InvalidParameter, match="at most"):
        dl.stats.psi([1.0, 2.0], [1.0, 2.0], bins=10**9)
    with pytest.raises(InvalidParameter, match="bins"):
        dl.compare({"x": [1.0, 2.0]}, {"x": [1.0, 2.0]}, bins=10**9)
    assert dl.stats.psi(np.arange(100.0), np.arange(100.0), bins=dl.stats.MAX_BINS).statistic == 0
