"""The current side read as the reference was read: kinds, units and encodings aligned
before profiling, and the type changes that remain beyond comparison.

A profile holds a numeric column's values as numbers in its own type's units (a
``timestamp(ms)`` column as milliseconds since the epoch, a ``date32`` one as days), and
a column counted as categories (``categorical=``, or a dictionary-encoded one) as category
counts. Two sides compared as they came would set seconds against milliseconds, or
category counts against a numeric summary. So, where the current side is data:

* a column the reference counted as categories is counted as categories;
* a dictionary-encoded column whose reference is numeric is decoded to its values;
* a date, timestamp, time or duration column is cast to the reference's unit (a date
  and a timestamp are both instants): a finer current unit is truncated to the
  reference's (its values are compared at the reference's resolution).

Where the current is a profile (or a Parquet scan, profiled as it streams), nothing can
be cast: :func:`comparable_types` tells which remaining type changes still compare.
Categories of different numeric types (an integer column against the floats pandas
makes of it once a value is missing) are matched by value (:func:`canonical_category`).

Examples
--------
>>> from driftline.drift.align import comparable_types
>>> comparable_types("timestamp(ms)", "date64"), comparable_types("timestamp(s)", "int64")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "align_table",
    "canonical_category",
    "canonical_frequencies",
    "categorical_for_current",
    "comparable_types",
    "numeric_categories",
]

_UNIT = re.compile(r"^(date32|date64|timestamp|duration|time32|time64)(?:\((s|ms|µs|us|ns)\b)?")
_NUMERIC = re.compile(r"^(u?int\d+|float\d+|decimal\d+)\b")
_PER_SECOND = {"s": 1.0, "ms": 1e3, "µs": 1e6, "us": 1e6, "ns": 1e9}


def _temporal_key(dtype: str) -> tuple[str, float] | None:
    """What a temporal type's numbers count, and in ticks per second (None otherwise)."""
    m = _UNIT.match(dtype)
    if m is None:
        return None
    kind, unit = m.group(1), m.group(2)
    if kind == "date32":
        return "instant", 1 / 86_400
    if kind == "date64":
        return "instant", 1e3
    family = {"timestamp": "instant", "duration": "duration"}.get(kind, "time")
    return family, _PER_SECOND[unit or "s"]


def comparable_types(reference: str, current: str) -> bool:
    """Whether two numeric columns' numbers can be compared: neither temporal, or both
    counting the same thing (instants, durations or times of day) in the same unit."""
    return _temporal_key(reference) == _temporal_key(current)


def numeric_categories(reference: str, current: str) -> bool:
    """Whether two categorical columns of different numeric types are compared: their
    category names are then matched by value (:func:`canonical_category`)."""
    return reference != current and all(_NUMERIC.match(t) for t in (reference, current))


def canonical_category(key: str) -> str:
    """A numeric category's name spelt the same whatever its type: an integral value as
    the integer (``"1.0"`` and ``"1"`` are one category), any other as its float repr.

    A profile names a category by its value's text, so an integer column's ``1`` and a
    float column's ``1.0`` (pandas turns an integer column with a missing value into
    floats) would otherwise never match.
    """
    try:
        return str(int(key))
    except ValueError:
        pass
    try:
        v = float(key)
    except ValueError:
        return key
    return str(int(v)) if v.is_integer() else repr(v)


def canonical_frequencies(freq: Mapping[str, int]) -> dict[str, int]:
    """``freq`` with numeric category names made canonical (counts of names that meet,
    such as ``0.0`` and ``-0.0``, added up)."""
    out: dict[str, int] = {}
    for k, v in freq.items():
        c = canonical_category(k)
        out[c] = out.get(c, 0) + v
    return out


def categorical_for_current(
    categorical: Sequence[str] | None, reference_kinds: Mapping[str, str], present: Sequence[str]
) -> list[str] | None:
    """``categorical`` for the current side: the caller's, plus every column the reference
    counted as categories (a stored reference's forced-categorical integers stay
    categories), limited to the columns the current data has."""
    names = {str(c) for c in categorical or ()}
    names |= {c for c, kind in reference_kinds.items() if kind == "categorical"}
    out = [c for c in present if c in names]
    return out or None


def _target(ref_dtype: str, current: pa.DataType) -> tuple[pa.DataType, bool] | None:
    """The type to cast a temporal ``current`` column to, and whether the cast may only
    truncate (to a coarser unit); None when the two do not count the same thing."""
    ref_key, cur_key = _temporal_key(ref_dtype), _temporal_key(_pa_name(current))
    if ref_key is None or cur_key is None or ref_key[0] != cur_key[0] or ref_key == cur_key:
        return None
    m = _UNIT.match(ref_dtype)
    assert m is not None  # _temporal_key matched it
    kind, unit = m.group(1), (m.group(2) or "s").replace("µs", "us")
    target: pa.DataType
    if kind == "date32":
        target = pa.date32()
    elif kind == "date64":
        target = pa.date64()
    elif kind == "timestamp":
        tz = current.tz if pa.types.is_timestamp(current) else None
        target = pa.timestamp(unit, tz=tz)
    elif kind == "duration":
        target = pa.duration(unit)
    elif kind == "time32":
        target = pa.time32(unit)
    else:
        target = pa.time64(unit)
    return target, ref_key[1] < cur_key[1]


def _pa_name(t: pa.DataType) -> str:
    """A pyarrow temporal type in the profile's spelling (enough for :func:`_temporal_key`)."""
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        return str(t)
    if pa.types.is_timestamp(t) or pa.types.is_duration(t) or pa.types.is_time(t):
        base = str(t).split("[", 1)[0]
        return f"{base}({t.unit})"
    return str(t)


def _temporal(t: pa.DataType) -> bool:
    return bool(pa.types.is_temporal(t))


def _cast(col: Any, target: pa.DataType, truncating: bool) -> Any:
    # To a coarser unit Arrow refuses to drop the sub-unit part unless unsafe (the values
    # are compared at the reference's resolution); to a finer one the cast multiplies,
    # and a safe cast refuses what would overflow (the column is then left as it is).
    try:
        return pc.cast(col, target, safe=not truncating)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def align_table(
    table: pa.Table, reference_types: Mapping[str, tuple[str, str]]
) -> tuple[pa.Table, dict[str, str]]:
    """``table`` with its columns cast to read as the reference's (``reference_types``:
    column -> (reference dtype, reference kind)), and the original type of each column
    it cast, spelt as a profile spells it (for the report's schema changes)."""
    cast: dict[str, pa.DataType] = {}
    for name in table.column_names:
        if name not in reference_types:
            continue
        ref_dtype, ref_kind = reference_types[name]
        col = table.column(name)
        t = col.type
        new = None
        if pa.types.is_dictionary(t) and ref_kind == "numeric":
            value = t.value_type
            if any(f(value) for f in (pa.types.is_integer, pa.types.is_floating, _temporal)):
                # Dictionary-encoded numbers are counted as categories: decoded, they are
                # summarised as numbers like the reference.
                new, t = pc.cast(col, value), value
        target = _target(ref_dtype, t)
        if target is not None:
            moved = _cast(new if new is not None else col, *target)
            new = moved if moved is not None else new
        if new is not None:
            cast[name] = col.type
            table = table.set_column(table.column_names.index(name), name, new)
    if not cast:
        return table, {}
    from driftline.profile import profile

    # The profile's own spelling of the original types: profiled empty, no data read.
    empty = profile(pa.table({n: pa.array([], type=t) for n, t in cast.items()}))
    return table, {n: str(empty._inner.column_stats(n)["dtype"]) for n in cast}
