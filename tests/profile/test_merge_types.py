"""Merging profiles of one column typed differently, or sketched with different sizes:
numbers are promoted as pyarrow's permissive unification does (the same type in either
order), temporal types of other units or time zones and sketches of other sizes are
refused naming the column."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import SchemaError

NUMERIC = [
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
    pa.decimal32(5, 2),
    pa.decimal64(12, 3),
    pa.decimal128(10, 2),
    pa.decimal128(38, 10),
    pa.decimal256(40, 2),
]

#: pyarrow's names of the floats, as driftline writes them (the others are the same).
FLOAT_NAMES = {"halffloat": "float16", "float": "float32", "double": "float64"}


def permissive(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """The type pyarrow gives a column of types a and b (None when it refuses them)."""
    schemas = [pa.schema([("x", a)]), pa.schema([("x", b)])]
    try:
        return pa.unify_schemas(schemas, promote_options="permissive").field("x").type
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def one_value(t: pa.DataType) -> dl.Profile:
    value = pa.array([1], pa.int8()).cast(pa.float16() if t == pa.float16() else t)
    return dl.profile(pa.table({"x": value}))


#: Pairs pyarrow unifies (it refuses a 64-bit integer with a too narrow decimal, which
#: driftline widens instead; the symmetry test covers those).
UNIFIED = [(a, b) for a, b in itertools.combinations(NUMERIC, 2) if permissive(a, b) is not None]


@pytest.mark.parametrize(("a", "b"), UNIFIED, ids=str)
def test_numbers_promote_as_pyarrow_does_in_either_order(a: pa.DataType, b: pa.DataType) -> None:
    want = permissive(a, b)
    pa_, pb = one_value(a), one_value(b)
    ab, ba = pa_.merge(pb), pb.merge(pa_)
    assert ab["x"].dtype == ba["x"].dtype == FLOAT_NAMES.get(str(want), str(want))
    assert ab == ba


def test_int_and_float_merge_to_float64_with_the_statistics_of_both() -> None:
    ints, floats = np.array([1, 5, 9], np.int64), np.array([2.5, -1.0])
    i = dl.profile(pa.table({"x": pa.array(ints)}))
    f = dl.profile(pa.table({"x": pa.array(floats)}))
    both = np.concatenate([ints, floats])
    for m in (i.merge(f), f.merge(i)):
        c = m["x"]
        assert c.dtype == "float64"
        assert (c.count, c.min, c.max) == (len(both), both.min(), both.max())
        assert c.mean == pytest.approx(both.mean())
    assert i.merge(f).fingerprint == f.merge(i).fingerprint


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(NUMERIC, 2)), ids=str)
def test_every_numeric_pair_merges_to_one_type_in_either_order(
    a: pa.DataType, b: pa.DataType
) -> None:
    pa_, pb = one_value(a), one_value(b)
    assert pa_.merge(pb)["x"].dtype == pb.merge(pa_)["x"].dtype


TEMPORAL_PAIRS = [
    (pa.timestamp("ms"), pa.timestamp("ns")),
    (pa.timestamp("us", "UTC"), pa.timestamp("us")),
    (pa.timestamp("s", "UTC"), pa.timestamp("s", "Europe/Paris")),
    (pa.date32(), pa.date64()),
    (pa.duration("s"), pa.duration("ms")),
    (pa.time32("s"), pa.time64("us")),
    (pa.int64(), pa.timestamp("ms")),
]


def temporal_value(t: pa.DataType) -> pa.Array:
    if pa.types.is_date(t):
        return pa.array([dt.date(2026, 1, 1)], t)
    if pa.types.is_time(t):
        return pa.array([dt.time(12)], t)
    if pa.types.is_duration(t):
        return pa.array([dt.timedelta(seconds=5)], t)
    if pa.types.is_timestamp(t):
        return pa.array([dt.datetime(2026, 1, 1)], pa.timestamp(t.unit)).cast(t)
    return pa.array([1], t)


@pytest.mark.parametrize(("a", "b"), TEMPORAL_PAIRS, ids=str)
def test_temporal_types_of_other_units_or_zones_are_refused(a: pa.DataType, b: pa.DataType) -> None:
    pa_ = dl.profile(pa.table({"when": temporal_value(a)}))
    pb = dl.profile(pa.table({"when": temporal_value(b)}))
    for x, y in [(pa_, pb), (pb, pa_)]:
        with pytest.raises(
            SchemaError, match=r"column 'when' is .* in one profile and .* in the other"
        ):
            x.merge(y)
    # The same type merges.
    assert pa_.merge(pa_)["when"].count == 2


def test_strings_and_binary_are_refused() -> None:
    s = dl.profile(pa.table({"c": pa.array(["a"])}))
    b = dl.profile(pa.table({"c": pa.array([b"a"])}))
    with pytest.raises(SchemaError, match="column 'c' is string in one profile and binary"):
        s.merge(b)


def test_sketches_of_different_sizes_are_refused_naming_the_column(
    rng: np.random.Generator,
) -> None:
    x, y = rng.normal(size=20_000), rng.normal(size=20_000) + 0.3
    small = dl.profile(pa.table({"amount": x}), kll_k=8)
    big = dl.profile(pa.table({"amount": y}), kll_k=2000)
    for a, b in [(small, big), (big, small)]:
        with pytest.raises(
            SchemaError, match=r"column 'amount': quantile sketches of different k .*kll_k"
        ):
            a.merge(b)
        with pytest.raises(SchemaError, match="column 'amount'"):
            dl.merge([a, b])
    p12 = dl.profile(pa.table({"amount": x}), hll_p=12)
    p14 = dl.profile(pa.table({"amount": y}), hll_p=14)
    with pytest.raises(
        SchemaError,
        match=r"column 'amount': distinct-count sketches of different precision .*hll_p",
    ):
        p12.merge(p14)
    # Equal sizes still merge, and keep the bound they state.
    same = small.merge(dl.profile(pa.table({"amount": y}), kll_k=8))["amount"]
    s = np.sort(np.concatenate([x, y]))
    worst = max(
        abs(np.searchsorted(s, same.quantile(q), side="right") / len(s) - q)
        for q in np.linspace(0.05, 0.95, 19)
    )
    assert worst <= same.quantile_rank_error
