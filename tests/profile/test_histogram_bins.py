"""Approximate histograms from the quantile sketch: bins [e_i, e_{i+1}) as numpy counts
them, within the sketch's rank error, and a clear error for a bad ``bins``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import InvalidParameter


def numpy_counts(x: np.ndarray, edges: list[float]) -> np.ndarray:
    """numpy.histogram on (-inf, e0), [e0, e1), ..., [e_last, +inf]: numpy's bins are
    left-closed, its last one closed too."""
    counts, _ = np.histogram(x, bins=[-np.inf, *edges, np.inf])
    return counts


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.integers(1, 6, 100_000).astype(float),  # ratings 1..5: ties on every edge
        lambda r: r.normal(size=100_000),
        lambda r: np.round(r.exponential(3.0, 50_000)),
    ],
    ids=["ratings", "normal", "rounded exponential"],
)
@pytest.mark.parametrize("bins", [2, 5, 10])
def test_bins_match_numpy_within_the_rank_error(rng: np.random.Generator, make, bins: int) -> None:
    x = make(rng)
    c = dl.profile(pa.table({"x": x}))["x"]
    h = c.histogram(bins)
    assert h is not None and not h.exact
    want = numpy_counts(x, h.edges)
    assert sum(h.counts) == pytest.approx(len(x))
    # The documented bound of an approximate bin's mass at k = 200 (Histogram's docstring).
    tolerance = 0.0165 * len(x)
    assert np.max(np.abs(np.array(h.counts) - want)) <= tolerance, (h.counts, want.tolist())


def test_a_value_on_an_edge_is_in_the_bin_the_edge_opens() -> None:
    for values in ([1.0], [1.0, 1.0, 1.0], [0.0, 1.0, 2.0]):
        x = np.array(values)
        h = dl.profile(pa.table({"x": x}))["x"].histogram(3)
        assert h is not None
        # Small inputs are held exactly by the sketch: the counts are numpy's.
        assert h.counts == numpy_counts(x, h.edges).astype(float).tolist()


@pytest.mark.parametrize("bins", [0, -1, 2.5, "3", True, None])
def test_bad_bins_are_refused_naming_the_column(bins: object) -> None:
    c = dl.profile(pa.table({"amount": [1.0, 2.0]}))["amount"]
    with pytest.raises(
        InvalidParameter, match="column 'amount': histogram bins must be an integer >= 1"
    ):
        c.histogram(bins)  # type: ignore[arg-type]


def test_numpy_integers_are_bins() -> None:
    c = dl.profile(pa.table({"x": [1.0, 2.0, 3.0, 4.0]}))["x"]
    assert c.histogram(np.int64(2)) == c.histogram(2)
