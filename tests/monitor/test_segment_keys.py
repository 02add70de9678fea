"""Segment keys: a float column is refused (bin it), and worst_segments says why a
window has no performance."""

from __future__ import annotations

import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import SchemaError
from driftline.monitor.result import WindowResult

DATA = pa.table(
    {
        "x": [float(i % 10) for i in range(100)],
        "k": [0.5, 1.5] * 50,
        "y": [1, 0] * 50,
        "p": [1, 1] * 50,
    }
)


@pytest.mark.parametrize("dtype", [pa.float64(), pa.float32()])
def test_a_float_segment_column_in_the_reference_is_refused(dtype: pa.DataType) -> None:
    ref = DATA.set_column(1, "k", DATA.column("k").cast(dtype))
    with pytest.raises(SchemaError, match=r"'k'.*bin it"):
        dl.Monitor(ref, segment_by="k", label="y", prediction="p")


def test_a_float_segment_column_in_a_batch_is_refused() -> None:
    # The reference does not hold the key: the first batch that does is checked.
    mon = dl.Monitor(DATA.drop(["k"]), segment_by="k", label="y", prediction="p")
    with pytest.raises(SchemaError, match=r"'k'.*bin it"):
        mon.observe(DATA)
    mon.observe(DATA.set_column(1, "k", pa.array(["lo", "hi"] * 50)))
    assert mon.rows_observed == 100


def test_integer_and_string_segment_columns_are_accepted() -> None:
    ref = DATA.set_column(1, "k", pa.array([1, 2] * 50))
    mon = dl.Monitor(ref, segment_by="k", label="y", prediction="p", window=100, dispatch="manual")
    mon.observe(ref)
    [w] = mon.history
    assert sorted(w.segments) == ["1", "2"] and not w.errors


def test_worst_segments_names_the_performance_error() -> None:
    w = WindowResult("w0", 10, None, segment_by="k", errors=["performance: SchemaError: bad key"])
    with pytest.raises(ValueError, match="performance failed: performance: SchemaError: bad key"):
        w.worst_segments("accuracy")
    unlabelled = WindowResult("w0", 10, None, segment_by="k")
    with pytest.raises(ValueError, match="no labelled rows"):
        unlabelled.worst_segments("accuracy")
