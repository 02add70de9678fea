"""Binary values as categories and segment keys: named injectively (UTF-8 kept, a
backslash doubled, other bytes ``\\xNN``), so distinct byte strings stay distinct; the
null segment comes from the key's validity and a real ``"__null__"`` key is refused."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import driftline as dl
from driftline.exceptions import DataError


def name_of(value: bytes) -> str:
    """The documented name of a binary value, by Python's codecs: a backslash (never part
    of a multi-byte UTF-8 sequence) doubled, then every invalid byte written ``\\xNN``."""
    return value.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


BINARY_LAYOUTS = [pa.binary(), pa.large_binary(), pa.binary_view()]


@pytest.mark.parametrize("dtype", BINARY_LAYOUTS, ids=str)
def test_distinct_byte_strings_are_distinct_categories(dtype: pa.DataType) -> None:
    values = [b"\xff", b"\xfe", b"\xff\xfe", b"\xff", b"caf\xc3\xa9", b"a\\xff", None]
    c = dl.profile(pa.table({"b": pa.array(values, dtype)}))["b"]
    present = [v for v in values if v is not None]
    assert c.distinct() == len(set(present)) == 5
    assert c.frequencies() == dict(Counter(name_of(v) for v in present))
    assert c.frequencies()["café"] == 1


def test_dictionary_of_binary_and_polars_binary() -> None:
    values = [b"\xff", b"\xfe", b"\xff\xfe", b"\xfe", None]
    present = [v for v in values if v is not None]
    want = dict(Counter(name_of(v) for v in present))
    for data in (
        pa.table({"b": pa.array(values, pa.binary()).dictionary_encode()}),
        pl.DataFrame({"b": pl.Series(values, dtype=pl.Binary)}),
    ):
        c = dl.profile(data)["b"]
        assert (c.null_count, c.distinct()) == (1, len(set(present)))
        assert c.frequencies() == want


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.binary(max_size=4), st.sampled_from([b"\\", b"\\x", b"\xff"])))
)
def test_frequencies_equal_python_counts(values: list[bytes | None]) -> None:
    c = dl.profile(pa.table({"b": pa.array(values, pa.binary())}))["b"]
    present = [v for v in values if v is not None]
    assert c.null_count == len(values) - len(present)
    assert c.frequencies() == dict(Counter(name_of(v) for v in present))
    assert c.distinct() == len(set(present))


def test_binary_segment_keys_stay_distinct() -> None:
    keys = [b"\xff", b"\xfe", b"a", None, b"\xff", b"a\\"]
    x = np.arange(len(keys), dtype=float)
    p = dl.profile(pa.table({"k": pa.array(keys, pa.binary()), "x": x}), segment_by="k")
    want = Counter("__null__" if k is None else name_of(k) for k in keys)
    assert {k: p.segments[k].row_count for k in p.segments} == dict(want)
    assert p.segments[name_of(b"\xff")]["x"].mean == pytest.approx(np.mean(x[[0, 4]]))


def test_null_keys_come_from_validity_and_a_real_null_name_is_refused() -> None:
    p = dl.profile(
        pa.table({"k": ["b", None, "a", None], "x": [1.0, 2.0, 3.0, 4.0]}), segment_by="k"
    )
    assert {k: p.segments[k].row_count for k in p.segments} == {"__null__": 2, "a": 1, "b": 1}
    for key in (
        pa.array(["__null__", None, "a"]),
        pa.array([b"__null__", b"a", b"b"], pa.binary()),
    ):
        with pytest.raises(DataError, match="column 'k': the segment key '__null__' is reserved"):
            dl.profile(pa.table({"k": key, "x": [1.0, 2.0, 3.0]}), segment_by="k")
