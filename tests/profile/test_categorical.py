"""Categorical and boolean columns: every string layout, dictionaries, caps."""

from __future__ import annotations

import collections

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import driftline as dl


def counts_of(values: list[str | None]) -> dict[str, int]:
    return dict(collections.Counter(v for v in values if v is not None))


@pytest.mark.parametrize(
    "make",
    [
        lambda v: pa.array(v, type=pa.string()),
        lambda v: pa.array(v, type=pa.large_string()),
        lambda v: pa.array(v, type=pa.string_view()),
        lambda v: pa.array(v, type=pa.string()).dictionary_encode(),
        lambda v: pa.array([None if s is None else s.encode() for s in v], type=pa.binary()),
        lambda v: pa.array([None if s is None else s.encode() for s in v], type=pa.large_binary()),
    ],
    ids=["string", "large_string", "string_view", "dictionary", "binary", "large_binary"],
)
def test_frequencies_exact_for_every_layout(rng: np.random.Generator, make) -> None:  # type: ignore[no-untyped-def]
    cats = ["a", "b", "ünï", "", "x'; DROP TABLE t; --"]
    values = [None if rng.random() < 0.1 else cats[i] for i in rng.integers(0, 5, 3000)]
    c = dl.profile(pa.table({"c": make(values)}))["c"]
    assert c.kind == "categorical"
    assert c.frequencies() == dict(
        sorted(counts_of(values).items(), key=lambda kv: (-kv[1], kv[0]))
    )
    assert c.null_count == values.count(None)
    assert c.count == len(values) - values.count(None)
    assert c.distinct() == len(counts_of(values))
    assert c.frequencies_exact


def test_polars_categorical_and_string_view(rng: np.random.Generator) -> None:
    values = [["x", "y", "z"][i] for i in rng.integers(0, 3, 1000)]
    df = pl.DataFrame({"s": values, "cat": pl.Series(values, dtype=pl.Categorical)})
    p = dl.profile(df)
    assert p["s"].frequencies() == p["cat"].frequencies()
    assert p["s"].dtype == "string" and p["cat"].dtype == "string"
    assert sum(p["s"].frequencies().values()) == 1000


def test_sliced_dictionary_with_null_keys() -> None:
    arr = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 1, 0, 2], type=pa.int8()), pa.array(["a", "b", "c"])
    )
    c = dl.profile(pa.table({"c": arr.slice(1, 4)}))["c"]
    assert c.frequencies() == {"b": 2, "a": 1}
    assert c.null_count == 1


def test_numeric_declared_categorical() -> None:
    t = pa.table({"code": pa.array([1, 2, 2, None, 3, 3, 3], type=pa.int32())})
    c = dl.profile(t, categorical=["code"])["code"]
    assert c.frequencies() == {"3": 3, "2": 2, "1": 1}
    assert c.null_count == 1


def test_boolean_is_both_numeric_and_categorical() -> None:
    c = dl.profile(pa.table({"b": [True, False, True, None, True]}))["b"]
    assert c.kind == "boolean"
    assert c.frequencies() == {"true": 3, "false": 1}
    assert c.mean == 0.75 and c.null_count == 1 and c.count == 4


def test_cap_switches_to_heavy_hitters_with_stated_error(rng: np.random.Generator) -> None:
    # A few heavy categories and a long tail of rare ones.
    heavy = rng.integers(0, 5, 50_000).astype(str)
    tail = np.char.add("t", rng.integers(0, 20_000, 50_000).astype(str))
    values = np.concatenate([heavy, tail])
    rng.shuffle(values)
    c = dl.profile(pa.table({"c": pa.array(values)}), freq_cap=100)["c"]
    f = c.frequencies()
    assert len(f) == 100 and not c.frequencies_exact
    truth = collections.Counter(values.tolist())
    stats = c._stats  # the stated error bound
    for k, v in f.items():
        assert v <= truth[k] <= v + stats["frequencies_max_error"]
    for k in map(str, range(5)):
        assert k in f  # heavy hitters are kept
    assert sum(f.values()) + stats["frequencies_other"] == len(values)


def test_high_cardinality_distinct(rng: np.random.Generator) -> None:
    values = np.char.add("id-", np.arange(200_000).astype(str))
    c = dl.profile(pa.table({"c": pa.array(values)}))["c"]
    assert abs(c.distinct() - 200_000) <= 3 * c.distinct_error * 200_000


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.binary()])
def test_sliced_string_arrays_of_every_length_count_exactly(kind: pa.DataType) -> None:
    # Lengths 0 to 36 (short strings are held as exact words, longer ones by hash and
    # bytes), near-duplicates, with and without nulls, sliced off both ends.
    rng = np.random.default_rng(8)
    words = [("ab" * 20)[:n] for n in range(37)] + [("ab" * 20)[:n] + "\0" for n in range(16)]
    vals: list[str | None] = [words[i] for i in rng.integers(0, len(words), 20_000)]
    with_nulls = [None if i % 7 == 0 else v for i, v in enumerate(vals)]
    for values in (vals, with_nulls):
        data = (
            [None if v is None else v.encode() for v in values] if kind == pa.binary() else values
        )
        arr = pa.array(data, type=kind).slice(13, 15_000)
        want = collections.Counter(x for x in arr.to_pylist() if x is not None)
        col = dl.profile(pa.table({"c": arr}))["c"]
        got = col.frequencies()
        if kind == pa.binary():
            want = collections.Counter({k.decode(): v for k, v in want.items()})
        assert got == dict(want)
        assert col.null_count == arr.null_count
