"""ColumnProfile.quantile's argument: a fraction in [0, 1] or a sequence of them, as
numpy.quantile takes; anything else is refused naming the column (numpy refuses the same
values; before, an out-of-range q was clamped to the minimum or maximum and NaN gave None)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import InvalidParameter

VALUES = np.arange(101.0)


@pytest.fixture(scope="module")
def column() -> dl.ColumnProfile:
    return dl.profile(pa.table({"amount": VALUES}))["amount"]


@pytest.mark.parametrize("q", [1.5, -0.1, float("nan"), float("inf"), [0.2, 2.0]])
def test_out_of_range_q_is_refused_as_numpy_refuses_it(column, q) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        np.quantile(VALUES, q)
    with pytest.raises(
        InvalidParameter, match=r"column 'amount': quantile q=.* is not in \[0, 1\]"
    ):
        column.quantile(q)


@pytest.mark.parametrize("q", ["0.5", None, b"x", object()])
def test_a_q_that_is_not_a_number_is_refused(column, q) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameter, match=r"column 'amount'"):
        column.quantile(q)


@pytest.mark.parametrize(
    "q",
    [0, 1, 0.5, np.float32(0.25), np.float64(0.75), np.int64(1), [0.1, 0.9], np.array([0.0, 1.0])],
)
def test_numbers_and_sequences_in_range_match_numpy(column, q) -> None:  # type: ignore[no-untyped-def]
    got = column.quantile(q)
    # 101 values: the sketch is exact here, and numpy's "lower" interpolation is the
    # sketch's rule for an exact rank.
    want = np.quantile(VALUES, q, method="inverted_cdf")
    np.testing.assert_allclose(got, want)
