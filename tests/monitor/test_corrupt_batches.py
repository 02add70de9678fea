"""Corrupt Arrow data and repeated columns: a clear driftline error where the data arrives,
never a segfault in the native profiler nor a window lost at its close.

The corrupt tables are read from an IPC stream without validation, as a server would read
an untrusted body, after the string column's offsets were overwritten.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl
from driftline.exceptions import DataError, InvalidParameter, SchemaError

ROWS = 100


def _clean() -> pa.Table:
    return pa.table({"x": np.arange(ROWS, dtype=np.float64), "cat": ["a"] * ROWS})


def corrupt_table(offsets: dict[int, int]) -> pa.Table:
    """A 100-row table whose string column ``cat`` (values ``"a"``: offsets 0..100) has
    the given offsets overwritten, read back without validation."""
    sink = pa.BufferOutputStream()
    clean = _clean()
    with pa.ipc.new_stream(sink, clean.schema) as writer:
        writer.write_table(clean)
    body = bytearray(sink.getvalue().to_pybytes())
    valid = np.arange(ROWS + 1, dtype=np.int32)
    at = body.find(valid.tobytes())
    assert at > 0
    bad = valid.copy()
    for i, value in offsets.items():
        bad[i] = value
    body[at : at + len(valid.tobytes())] = bad.tobytes()
    return pa.ipc.open_stream(pa.BufferReader(bytes(body))).read_all()


class ForeignStream:
    """Arrow data from a producer other than pyarrow (only ``__arrow_c_stream__``), so
    that only the native module's own validation stands between it and the kernels."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._table.__arrow_c_stream__(requested_schema)


PAST_THE_DATA = {ROWS: 600_000_000}  # the last offset far past the 100-byte buffer
OUT_OF_ORDER = {50: 10_000_000}  # a middle offset past the data, the last one in bounds
BACKWARDS = {ROWS: 90}  # the last offset below the one before it
NEGATIVE = {ROWS: -5}


def _monitor(**options: Any) -> dl.Monitor:
    reference = pa.table(
        {"x": np.linspace(0, 100, 1000), "cat": ["a", "b"] * 500, "y": [0, 1] * 500}
    )
    return dl.Monitor(reference, features=["x", "cat"], window=1000, dispatch="manual", **options)


@pytest.mark.parametrize("offsets", [PAST_THE_DATA, OUT_OF_ORDER, BACKWARDS, NEGATIVE])
def test_profile_refuses_corrupt_offsets(offsets: dict[int, int]) -> None:
    with pytest.raises(DataError, match="invalid Arrow data"):
        dl.profile(corrupt_table(offsets), categorical=["cat"])


@pytest.mark.parametrize("offsets", [OUT_OF_ORDER, BACKWARDS])
def test_native_validation_names_the_column_of_a_foreign_stream(offsets: dict[int, int]) -> None:
    # No pyarrow object to ask: the binding's structural check of the imported arrays.
    with pytest.raises(DataError, match="column 'cat': invalid Arrow data"):
        dl.profile(ForeignStream(corrupt_table(offsets)))


def test_valid_foreign_stream_still_profiles() -> None:
    assert dl.profile(ForeignStream(_clean()))["cat"].count == ROWS


@pytest.mark.parametrize("offsets", [PAST_THE_DATA, NEGATIVE])
def test_observe_refuses_a_corrupt_batch_and_keeps_the_monitor(offsets: dict[int, int]) -> None:
    mon = _monitor()
    mon.observe(_clean())
    with pytest.raises(DataError, match="invalid Arrow data"):
        mon.observe(corrupt_table(offsets))
    assert mon.rows_observed == ROWS
    mon.observe(_clean().slice(0, 1))
    result = mon.close_window()
    assert result is not None and result.rows == ROWS + 1 and not result.errors


@pytest.mark.parametrize("offsets", [OUT_OF_ORDER, BACKWARDS])
def test_a_corrupt_batch_missed_at_arrival_is_a_window_error_not_a_crash(
    offsets: dict[int, int],
) -> None:
    # Offsets out of order within the data pass pyarrow's cheap check at observe (its
    # full one costs as much as a tenth of the profile); the native check refuses them
    # when the window is profiled.
    mon = _monitor()
    mon.observe(corrupt_table(offsets))
    result = mon.close_window()
    assert result is not None and result.drift is None
    assert any("invalid Arrow data" in e for e in result.errors)


def test_a_repeated_column_the_monitor_reads_is_a_schema_error() -> None:
    mon = _monitor()
    x = pa.array(np.arange(10, dtype=np.float64))
    batch = pa.Table.from_arrays([x, pa.array(["a"] * 10), x], names=["x", "cat", "x"])
    with pytest.raises(SchemaError, match=r"\['x'\] appear more than once"):
        mon.observe(batch)
    assert mon.rows_observed == 0


def test_a_repeated_column_is_recorded_with_on_schema_error_record() -> None:
    mon = _monitor(on_schema_error="record")
    x = pa.array(np.arange(10, dtype=np.float64))
    mon.observe(pa.Table.from_arrays([x, pa.array(["a"] * 10), x], names=["x", "cat", "x"]))
    mon.observe(_clean())
    result = mon.close_window()
    assert result is not None and result.rows == ROWS
    assert any("appear more than once" in p for q in result.quality for p in q.get("problems", []))


def test_repeated_columns_the_monitor_does_not_read_are_dropped() -> None:
    mon = _monitor()
    x = pa.array(np.arange(10, dtype=np.float64))
    extra = pa.array([1] * 10)
    mon.observe(
        pa.Table.from_arrays(
            [x, pa.array(["a"] * 10), extra, extra], names=["x", "cat", "extra", "extra"]
        )
    )
    assert mon.rows_observed == 10


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"features": ["x", "cat", "x"]}, r"features lists \['x'\] more than once"),
        (
            {"features": ["x"], "sensitive": ["cat", "cat"], "prediction": "y", "label": "y"},
            r"sensitive lists \['cat'\] more than once",
        ),
    ],
)
def test_a_column_listed_twice_is_refused_at_construction(
    options: dict[str, Any], message: str
) -> None:
    reference = pa.table({"x": [1.0, 2.0], "cat": ["a", "b"], "y": [0, 1]})
    with pytest.raises(InvalidParameter, match=message):
        dl.Monitor(reference, window=10, dispatch="manual", **options)


def test_a_repeated_label_the_reference_lacks_is_a_schema_error() -> None:
    # The label is kept raw for performance, not profiled: it is read all the same.
    reference = pa.table({"x": np.linspace(0, 1, 100), "pred": [0, 1] * 50})
    mon = dl.Monitor(reference, features=["x"], prediction="pred", label="y", dispatch="manual")
    y = pa.array([0, 1] * 5)
    batch = pa.Table.from_arrays(
        [pa.array(np.linspace(0, 1, 10)), y, y, y], names=["x", "pred", "y", "y"]
    )
    with pytest.raises(SchemaError, match=r"\['y'\] appear more than once"):
        mon.observe(batch)
