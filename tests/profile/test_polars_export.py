"""polars frames export only the columns a profile reads; a 128-bit integer column that
is read is refused naming it (polars exports it as ``_pli128``, which no Arrow reader
accepts)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import driftline as dl
from driftline.exceptions import SchemaError

X = [1.0, 2.0, 4.0]


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "x": X,
            "big": pl.Series([1, 2, 3], dtype=pl.Int128),
            "ubig": pl.Series([1, 2, 3], dtype=pl.UInt128),
            "k": ["a", "b", "a"],
        }
    )


@pytest.mark.parametrize("lazy", [False, True])
def test_unread_128_bit_columns_do_not_stop_the_profile(lazy: bool) -> None:
    data = frame().lazy() if lazy else frame()
    p = dl.profile(data, columns=["x"])
    assert p.columns == ["x"]
    assert p.row_count == len(X)
    assert p["x"].mean == pytest.approx(np.mean(X))
    s = dl.profile(data, columns=["x"], segment_by="k")
    assert {k: s.segments[k].row_count for k in s.segments} == {"a": 2, "b": 1}


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({}, "big"),
        ({"columns": ["x", "ubig"]}, "ubig"),
        ({"columns": ["x"], "segment_by": "big"}, "big"),
    ],
)
def test_a_read_128_bit_column_is_refused_naming_it(kwargs: dict[str, object], column: str) -> None:
    with pytest.raises(SchemaError, match=f"column '{column}' is a polars U?Int128 column"):
        dl.profile(frame(), **kwargs)  # type: ignore[arg-type]


def test_a_128_bit_series_is_refused() -> None:
    with pytest.raises(SchemaError, match="column 'n' is a polars Int128 column"):
        dl.profile(pl.Series("n", [1, 2], dtype=pl.Int128))


def test_an_unknown_column_is_reported_with_the_readable_ones() -> None:
    with pytest.raises(SchemaError, match="column 'nope' not found; available columns: x, k"):
        dl.profile(frame(), columns=["nope"])
