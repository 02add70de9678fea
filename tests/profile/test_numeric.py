"""Numeric column profiles against numpy on random data of several distributions."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl

DISTRIBUTIONS = {
    "normal": lambda r, n: r.normal(3.0, 2.0, n),
    "lognormal": lambda r, n: r.lognormal(0.0, 1.5, n),
    "uniform_wide": lambda r, n: r.uniform(-1e12, 1e12, n),
    "integers": lambda r, n: r.integers(-1000, 1000, n).astype(float),
    "exponential": lambda r, n: r.exponential(5.0, n),
}


def rel_close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300) or abs(a - b) <= 1e-12


@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize("n", [1, 2, 17, 1000, 100_003])
def test_exact_statistics_match_numpy(rng: np.random.Generator, dist: str, n: int) -> None:
    x = DISTRIBUTIONS[dist](rng, n)
    c = dl.profile(pa.table({"x": x}))["x"]
    assert c.count == n
    assert c.null_count == 0
    assert c.min == np.min(x)
    assert c.max == np.max(x)
    assert rel_close(c.mean, float(np.mean(x)))
    assert math.isclose(c.variance, float(np.var(x)), rel_tol=1e-9, abs_tol=1e-12 * np.mean(x**2))
    if n > 1:
        assert math.isclose(
            c.var(1), float(np.var(x, ddof=1)), rel_tol=1e-9, abs_tol=1e-12 * np.mean(x**2)
        )


@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
def test_quantiles_within_rank_bound_at_1e6(rng: np.random.Generator, dist: str) -> None:
    x = DISTRIBUTIONS[dist](rng, 1_000_000)
    c = dl.profile(pa.table({"x": x}))["x"]
    bound = c.quantile_rank_error
    assert bound is not None and bound < 0.015
    s = np.sort(x)
    for q in [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999]:
        v = c.quantile(q)
        lo = np.searchsorted(s, v, side="left") / len(s)
        hi = np.searchsorted(s, v, side="right") / len(s)
        # The value's true rank interval (ties) must come within the bound of q.
        assert lo - bound <= q <= hi + bound, (q, lo, hi)
    assert c.quantile(0.0) == s[0]
    assert c.quantile(1.0) == s[-1]


def test_distinct_within_bound(rng: np.random.Generator) -> None:
    for k in [1, 10, 1000, 50_000, 500_000]:
        x = rng.integers(0, k, 1_000_000).astype(float)
        c = dl.profile(pa.table({"x": x}))["x"]
        truth = len(np.unique(x))
        assert abs(c.distinct() - truth) <= 3 * c.distinct_error * truth + 1, (
            k,
            c.distinct(),
            truth,
        )


def test_nulls_nan_and_inf_are_counted_apart() -> None:
    x = pa.array([1.0, None, float("nan"), float("inf"), -float("inf"), 3.0, None])
    c = dl.profile(pa.table({"x": x}))["x"]
    assert (c.count, c.null_count, c.nan_count) == (5, 2, 1)
    assert (c.pos_inf_count, c.neg_inf_count) == (1, 1)
    assert c.min == -math.inf and c.max == math.inf
    assert c.mean == 2.0  # over the finite values
    assert c.variance == 1.0


def test_all_null_all_nan_and_empty_columns_are_profiled() -> None:
    t = pa.table(
        {
            "nulls": pa.array([None, None, None], type=pa.float64()),
            "nans": pa.array([math.nan] * 3),
            "nulltype": pa.nulls(3),
        }
    )
    p = dl.profile(t)
    assert p["nulls"].null_count == 3 and p["nulls"].count == 0 and p["nulls"].mean is None
    assert p["nans"].nan_count == 3 and p["nans"].mean is None and p["nans"].min is None
    assert p["nans"].quantile(0.5) is None
    assert p["nulltype"].kind == "null" and p["nulltype"].null_count == 3
    empty = dl.profile(pa.table({"x": pa.array([], type=pa.float64())}))
    assert empty.row_count == 0 and empty["x"].count == 0 and empty["x"].quantile(0.5) is None


def test_one_value_and_huge_values() -> None:
    c = dl.profile(pa.table({"x": [1e308] * 1000}))["x"]
    assert c.mean == 1e308 and c.variance == 0.0 and c.max == 1e308
    c = dl.profile(pa.table({"x": [-1e308, 1e308]}))["x"]
    assert c.mean == 0.0 and c.min == -1e308
    assert c.variance == math.inf  # 1e616 does not fit a double: rounded to inf, not NaN
    c = dl.profile(pa.table({"x": [42.0]}))["x"]
    assert (c.mean, c.variance, c.quantile(0.5), c.distinct()) == (42.0, 0.0, 42.0, 1)


def test_int64_extremes_match_numpy_float64() -> None:
    info = np.iinfo(np.int64)
    x = np.array([info.min, info.max, 0, -1, 1, info.max - 1], dtype=np.int64)
    c = dl.profile(pa.table({"x": x}))["x"]
    xf = x.astype(np.float64)
    assert c.min == float(info.min) and c.max == float(info.max)
    assert math.isclose(c.mean, float(np.mean(xf)), abs_tol=1e-9 * 2**63)
    assert math.isclose(c.variance, float(np.var(xf)), rel_tol=1e-9)
    u = np.array([0, np.iinfo(np.uint64).max], dtype=np.uint64)
    assert dl.profile(pa.table({"u": u}))["u"].max == float(np.iinfo(np.uint64).max)


@pytest.mark.parametrize(
    "typ",
    [
        pa.int8(),
        pa.int16(),
        pa.int32(),
        pa.int64(),
        pa.uint8(),
        pa.uint16(),
        pa.uint32(),
        pa.uint64(),
        pa.float16(),
        pa.float32(),
        pa.float64(),
    ],
)
def test_every_numeric_width(rng: np.random.Generator, typ: pa.DataType) -> None:
    x = rng.integers(0, 100, 5000)
    arr = pa.array(x).cast(typ) if typ != pa.float16() else pa.array(x.astype(np.float16))
    mask = rng.random(5000) < 0.1
    arr = pa.array(arr.to_numpy(zero_copy_only=False), mask=mask, type=typ)
    c = dl.profile(pa.table({"x": arr}))["x"]
    valid = x[~mask].astype(np.float64)
    assert c.kind == "numeric"
    assert (c.count, c.null_count) == (len(valid), mask.sum())
    assert math.isclose(c.mean, valid.mean(), rel_tol=1e-9)
    assert c.min == valid.min() and c.max == valid.max()


def test_float32_keeps_its_values(rng: np.random.Generator) -> None:
    x = rng.normal(size=1000).astype(np.float32)
    c = dl.profile(pa.table({"x": x}))["x"]
    assert math.isclose(c.mean, float(np.mean(x.astype(np.float64))), rel_tol=1e-9)


def test_sliced_and_chunked_arrays_give_the_same_statistics(rng: np.random.Generator) -> None:
    x = rng.normal(size=10_000)
    nulls = rng.random(10_000) < 0.05
    full = pa.array(x, mask=nulls)
    sliced = full.slice(1234, 5000)
    ref = x[1234:6234][~nulls[1234:6234]]
    c = dl.profile(pa.table({"x": sliced}))["x"]
    assert c.count == len(ref) and c.null_count == nulls[1234:6234].sum()
    assert math.isclose(c.mean, ref.mean(), rel_tol=1e-9)
    assert c.min == ref.min() and c.max == ref.max()
    chunked = pa.chunked_array([full.slice(0, 3), full.slice(3, 4000), full.slice(4003)])
    a = dl.profile(pa.table({"x": chunked}))["x"]
    b = dl.profile(pa.table({"x": full}))["x"]
    assert (a.count, a.null_count, a.min, a.max) == (b.count, b.null_count, b.min, b.max)
    assert math.isclose(a.mean, b.mean, rel_tol=1e-12)
    assert math.isclose(a.variance, b.variance, rel_tol=1e-12)


def test_histogram_on_given_edges_matches_numpy(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.normal(size=100_000), [np.nan, np.inf, -np.inf]])
    edges = [-2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0]
    h = dl.profile(pa.table({"x": x}), edges={"x": edges})["x"].histogram()
    finite = x[~np.isnan(x)]
    expected = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1)
    assert h is not None and h.exact
    assert h.counts == expected.tolist()
    many = list(np.linspace(-3, 3, 100))
    h = dl.profile(pa.table({"x": x}), edges={"x": many})["x"].histogram()
    expected = np.bincount(np.searchsorted(many, finite, side="right"), minlength=len(many) + 1)
    assert h.counts == expected.tolist()


def test_bins_make_exact_histograms_on_own_quantiles(rng: np.random.Generator) -> None:
    x = rng.normal(size=200_000)
    c = dl.profile(pa.table({"x": x}), bins=10)["x"]
    h = c.histogram()
    assert h is not None and h.exact and len(h.counts) == 10
    expected = np.bincount(np.searchsorted(h.edges, x, side="right"), minlength=len(h.edges) + 1)
    assert h.counts == expected.tolist()
    # Decile bins of the data itself each hold about a tenth of it (the sketch's bound).
    assert all(abs(cnt / len(x) - 0.1) < 0.02 for cnt in h.counts)


def test_bad_edges_are_refused() -> None:
    t = pa.table({"x": [1.0, 2.0]})
    with pytest.raises(dl.exceptions.InvalidParameter, match="strictly increasing"):
        dl.profile(t, edges={"x": [2.0, 1.0]})
    with pytest.raises(dl.exceptions.SchemaError, match="'nope'"):
        dl.profile(t, edges={"nope": [1.0]})


def test_histogram_kernel_matches_numpy(rng: np.random.Generator) -> None:
    x = np.concatenate([rng.normal(size=3_000_000), [np.nan, np.inf, -np.inf, 0.0]])
    edges = list(np.quantile(x[:1000], np.linspace(0.1, 0.9, 9)))
    expected = np.bincount(np.searchsorted(edges, x[~np.isnan(x)], side="right"), minlength=10)
    for data in [x, pa.array(x), pa.chunked_array([x[:12345], x[12345:]]), pa.array(x).slice(7)]:
        h = dl.histogram(data, edges)
        exp = (
            expected
            if not isinstance(data, pa.Array) or data.offset == 0
            else np.bincount(
                np.searchsorted(edges, x[7:][~np.isnan(x[7:])], side="right"), minlength=10
            )
        )
        assert h.counts == exp.tolist()
    with pytest.raises(dl.exceptions.InvalidParameter):
        dl.histogram(x, [1.0, 0.0])
