"""pandas DataFrames are read as their columns, whatever the pandas version: pandas 3
names its classes' module "pandas" (pandas 2: "pandas.core.frame"), and a DataFrame
read through its Arrow stream instead would bring a named index in as a column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import driftline as dl


def test_a_named_index_is_not_a_column() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 6.0]}, index=pd.Index([10, 20, 30], name="key"))
    p = dl.profile(df)
    assert p.columns == ["a"]
    assert p["a"].mean == pytest.approx(np.mean([1.0, 2.0, 6.0]))


def test_compare_and_performance_read_the_same_columns() -> None:
    idx = pd.Index(range(100), name="row_id")
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=100)}, index=idx)
    cur = pd.DataFrame({"x": rng.normal(size=100)}, index=idx)
    assert [f.column for f in dl.compare(ref, cur).features] == ["x"]
    y = pd.DataFrame({"y": [0, 1, 1], "p": [0, 1, 0]}, index=pd.Index([5, 6, 7], name="y_id"))
    assert dl.performance(y, prediction="p", label="y").accuracy == pytest.approx(2 / 3)
