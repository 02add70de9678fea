"""Merging: profile(a ++ b) == profile(a).merge(profile(b)), in any order and grouping."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import driftline as dl

EXACT_FIELDS = ("count", "null_count", "nan_count", "pos_inf_count", "neg_inf_count", "min", "max")


def assert_exact_equal(a: dl.Profile, b: dl.Profile, scale: float) -> None:
    """Exact fields equal; mean and variance equal up to rounding relative to ``scale``,
    the data's largest finite magnitude (sums of values of mixed signs cancel, so rounding
    is relative to it, not to the mean)."""
    assert a.row_count == b.row_count
    assert a.columns == b.columns
    assert a.fingerprint == b.fingerprint
    for name in a.columns:
        ca, cb = a[name], b[name]
        for f in EXACT_FIELDS:
            assert getattr(ca, f) == getattr(cb, f), (name, f)
        assert ca.frequencies() == cb.frequencies()
        if ca.mean is not None:
            assert math.isclose(ca.mean, cb.mean, rel_tol=1e-9, abs_tol=1e-12 * scale)
            if math.isfinite(cb.variance):
                assert math.isclose(
                    ca.variance,
                    cb.variance,
                    rel_tol=1e-9,
                    abs_tol=1e-12 * scale * scale if scale < 1e150 else math.inf,
                )
        ha, hb = ca.histogram(), cb.histogram()
        if ha is not None and ha.exact:
            assert ha == hb


def make_table(values: list[float | None], cats: list[str | None]) -> pa.Table:
    return pa.table(
        {"x": pa.array(values, type=pa.float64()), "c": pa.array(cats, type=pa.string())}
    )


floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64))
rows = st.lists(
    st.tuples(floats, st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"]))), max_size=60
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.lists(st.integers(0, 60), max_size=4))
def test_merge_of_parts_equals_whole(
    data: list[tuple[float | None, str | None]], cuts: list[int]
) -> None:
    values = [v for v, _ in data]
    cats = [c for _, c in data]
    edges = {"x": [-1.0, 0.0, 1.0]}
    whole = dl.profile(make_table(values, cats), edges=edges)
    bounds = sorted({0, len(data), *[min(c, len(data)) for c in cuts]})
    parts = [
        dl.profile(make_table(values[a:b], cats[a:b]), edges=edges)
        for a, b in itertools.pairwise(bounds)
    ]
    if not parts:
        return
    scale = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    assert_exact_equal(dl.merge(parts), whole, scale)
    assert_exact_equal(dl.merge(parts[::-1]), whole, scale)  # commutative
    if len(parts) >= 3:  # associative
        left = parts[0].merge(parts[1]).merge(parts[2])
        right = parts[0].merge(parts[1].merge(parts[2]))
        assert_exact_equal(left, right, scale)


def test_sketches_stay_within_bound_after_many_merges(rng: np.random.Generator) -> None:
    x = rng.normal(size=1_000_000)
    parts = [dl.profile(pa.table({"x": chunk})) for chunk in np.array_split(x, 97)]
    rng.shuffle(parts)  # type: ignore[arg-type]
    c = dl.merge(parts)["x"]
    s = np.sort(x)
    for q in [0.01, 0.25, 0.5, 0.75, 0.99]:
        r = np.searchsorted(s, c.quantile(q)) / len(s)
        assert abs(r - q) <= c.quantile_rank_error
    assert abs(c.distinct() - 1_000_000) <= 3 * c.distinct_error * 1_000_000


def test_results_do_not_depend_on_thread_count(rng: np.random.Generator) -> None:
    t = pa.table(
        {"x": rng.normal(size=500_000), "c": pa.array(rng.integers(0, 50, 500_000).astype(str))}
    )
    one = dl.profile(t, threads=1)
    many = dl.profile(t, threads=4)
    assert one == many
    assert one.to_bytes() == many.to_bytes()


def test_merge_refuses_mismatched_schemas() -> None:
    a = dl.profile(pa.table({"x": [1.0]}))
    with pytest.raises(dl.exceptions.SchemaError, match="different columns"):
        a.merge(dl.profile(pa.table({"y": [1.0]})))
    with pytest.raises(dl.exceptions.SchemaError, match="'x' is numeric"):
        a.merge(dl.profile(pa.table({"x": ["s"]})))


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["a", "b", "a", None]),
        pa.array([1.5, None, -2.0, 4.0]),
        pa.array([True, False, None, True]),
    ],
)
def test_an_all_null_batch_of_the_null_type_merges_into_any_kind(values: pa.Array) -> None:
    # A frame library types a column that was all missing in a batch as Arrow's null
    # type: its profile merges with the column's in either order, adding only its nulls.
    typed = pa.table({"c": values, "n": [1.0, 2.0, 3.0, 4.0]})
    missing = pa.table({"c": pa.nulls(3), "n": [5.0, 6.0, 7.0]})
    whole = pa.table(
        {
            "c": pa.concat_arrays([values, pa.nulls(3, values.type)]),
            "n": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    want = dl.profile(whole)
    for parts in ([typed, missing], [missing, typed], [missing, typed, missing]):
        got = dl.merge([dl.profile(t) for t in parts])
        c, w = got["c"], want["c"]
        extra = 3 * (len(parts) - 2)
        assert c.kind == w.kind
        assert (c.count, c.null_count) == (w.count, w.null_count + extra)
        assert c.min == w.min and c.max == w.max and c.mean == w.mean
        if w.kind != "numeric":
            assert c.frequencies() == w.frequencies()
    # Two null-typed profiles stay null.
    both = dl.merge([dl.profile(missing), dl.profile(missing)])
    assert both["c"].kind == "null" and both["c"].null_count == 6


def test_fingerprint_is_stable_across_chunking_and_changes_with_content(
    rng: np.random.Generator,
) -> None:
    x = rng.normal(size=10_000)
    a = dl.profile(pa.table({"x": pa.chunked_array([x[:10], x[10:]])}))
    b = dl.profile(pa.table({"x": x}))
    assert a.fingerprint == b.fingerprint
    y = x.copy()
    y[5] += 1e-9
    assert dl.profile(pa.table({"x": y})).fingerprint != b.fingerprint
    assert dl.profile(pa.table({"z": x})).fingerprint != b.fingerprint  # schema part
    assert dl.profile(pa.table({"x": x.astype(np.float32)})).schema_hash != b.schema_hash
