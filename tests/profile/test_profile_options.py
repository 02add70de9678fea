"""dl.profile's options are checked before any work: sketch sizes outside what the core
honours (it would clamp them silently, or the binding overflow) and histogram edges that
are not numbers are refused naming the option and the column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import InvalidParameter

TABLE = pa.table({"x": [1.0, 2.0, 4.0]})


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("kll_k", -3, r"kll_k must be in \[8, 65535\]"),
        ("kll_k", 0, r"kll_k must be in \[8, 65535\]"),
        ("kll_k", 2**40, r"kll_k must be in \[8, 65535\]"),
        ("kll_k", 200.0, "kll_k must be an integer"),
        ("hll_p", -1, r"hll_p must be in \[4, 16\]"),
        ("hll_p", 99, r"hll_p must be in \[4, 16\]"),
        ("freq_cap", -1, "freq_cap must be in"),
        ("freq_cap", 0, "freq_cap must be in"),
        ("bins", 0, "bins must be >= 1"),
        ("threads", True, "threads must be an integer"),
        ("expected_rows", -1, "expected_rows must be >= 0"),
    ],
)
def test_out_of_range_options_are_refused(option: str, value: object, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        dl.profile(TABLE, **{option: value})


def test_edges_that_are_not_numbers_name_the_column() -> None:
    with pytest.raises(InvalidParameter, match=r"edges for column 'x' must be numbers"):
        dl.profile(TABLE, edges={"x": ["a"]})


@pytest.mark.parametrize(("kll_k", "hll_p"), [(8, 4), (65_535, 16), (np.int64(200), 12)])
def test_the_ends_of_the_ranges_are_accepted(kll_k: int, hll_p: int) -> None:
    p = dl.profile(TABLE, kll_k=kll_k, hll_p=hll_p, freq_cap=1, edges={"x": [2, 3]})
    assert p["x"].mean == pytest.approx(np.mean([1.0, 2.0, 4.0]))
    assert p["x"].histogram().counts == [1.0, 1.0, 1.0]
