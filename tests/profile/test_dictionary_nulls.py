"""Dictionary columns whose dictionary is empty (all-null categoricals): every row null,
in profiles, segment keys and fairness and performance group columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import driftline as dl

EMPTY_DICTIONARIES = {
    "encoded nulls": pa.array([None, None], pa.string()).dictionary_encode(),
    "no rows": pa.array([], pa.string()).dictionary_encode(),
    "null key": pa.DictionaryArray.from_arrays(
        pa.array([None], pa.int32()), pa.array([], pa.string())
    ),
}


@pytest.mark.parametrize("array", EMPTY_DICTIONARIES.values(), ids=EMPTY_DICTIONARIES.keys())
def test_an_empty_dictionary_is_all_nulls(array: pa.DictionaryArray) -> None:
    assert len(array.dictionary) == 0
    c = dl.profile(pa.table({"c": array}))["c"]
    assert (c.count, c.null_count) == (0, array.null_count)
    assert c.frequencies() == {}
    assert c.distinct() == 0


def test_an_all_null_polars_categorical() -> None:
    df = pl.DataFrame(
        {"c": pl.Series([None, None, None], dtype=pl.Categorical), "x": [1.0, 2.0, 3.0]}
    )
    p = dl.profile(df)
    assert (p["c"].count, p["c"].null_count) == (0, df["c"].null_count())
    assert p["x"].count == 3


def test_chunks_with_and_without_a_dictionary(tmp_path: Path) -> None:
    # Parquet row groups of nulls only come back with an empty dictionary in their chunk.
    values = [None] * 10 + ["a"] * 7 + ["b"] * 3
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"c": pa.array(values).dictionary_encode()}), path, row_group_size=10)
    for p in [dl.profile_parquet(str(path)), dl.profile(pq.read_table(path))]:
        assert p["c"].null_count == values.count(None)
        assert p["c"].frequencies() == {"a": 7, "b": 3}


def test_an_empty_dictionary_as_a_segment_key() -> None:
    key = pa.chunked_array(
        [
            pa.array([None, None], pa.string()).dictionary_encode(),
            pa.array(["a", None]).dictionary_encode(),
        ]
    )
    x = np.array([1.0, 2.0, 3.0, 4.0])
    p = dl.profile(pa.table({"k": key, "x": x}), segment_by="k")
    assert {k: p.segments[k].row_count for k in p.segments} == {"__null__": 3, "a": 1}
    assert p.segments["__null__"]["x"].mean == pytest.approx(np.mean(x[[0, 1, 3]]))


def test_an_empty_dictionary_as_a_fairness_and_performance_group() -> None:
    table = pa.table(
        {
            "g": pa.array([None] * 4, pa.string()).dictionary_encode(),
            "pred": [1, 0, 1, 1],
            "y": [1, 0, 0, 1],
        }
    )
    f = dl.fairness(table, prediction="pred", label="y", sensitive="g")
    assert f.by_group.height == 1
    m = dl.performance(table, prediction="pred", label="y", segment_by="g")
    assert m.segments.height == 1
    assert m.accuracy == pytest.approx(np.mean(np.array([1, 0, 1, 1]) == np.array([1, 0, 0, 1])))
