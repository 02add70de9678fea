"""Schema checks on incoming batches and data-quality findings on closed windows."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.exceptions import DataError, InvalidParameter

__all__ = [
    "batch_plan",
    "check_unique_columns",
    "checked_table",
    "fits_kinds",
    "quality_findings",
    "record_problem",
    "reference_kinds",
    "repeated_columns",
    "schema_problems",
    "segment_key_problem",
]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# Values of a temporal column (numeric in a profile: counts of units).
_TEMPORAL = (dt.date, dt.time, dt.timedelta, np.datetime64, np.timedelta64)
_NUMBERS = (int, float, np.number, np.bool_, *_TEMPORAL)


def reference_kinds(reference: Any, columns: Sequence[str]) -> dict[str, str]:
    """Column -> ``numeric`` / ``categorical`` / ``boolean`` / ``null`` in the reference."""
    return {c: reference[c].kind for c in columns}


def _kind(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_nested(t):
        # Structs, lists and maps profile as no kind at all: the native profiler refuses
        # them, at window close, where the error would cost the whole window.
        return "nested"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "numeric"
    if pa.types.is_temporal(t):
        # Dates, timestamps, times and durations profile as their integer counts of units.
        return "numeric"
    if pa.types.is_null(t):
        return "null"
    return "categorical"


def fits_kinds(record: dict[str, Any], kinds: dict[str, str]) -> bool:
    """Whether each value of a record can join a column of its feature's kind: a number
    (or a boolean) for a numeric or boolean feature, a string for a categorical one;
    None anywhere."""
    return record_problem(record, kinds) is None


def record_problem(record: dict[str, Any], kinds: dict[str, str]) -> str | None:
    """Why a record's values cannot join the columns of their features' kinds (naming the
    first column that does not fit), or None when they all fit (see :func:`fits_kinds`)."""
    for c, kind in kinds.items():
        v = record.get(c)
        if v is None or kind == "null":
            continue
        if kind == "categorical":
            if not isinstance(v, str):
                return f"column {c!r} is categorical, got {type(v).__name__}"
        elif not isinstance(v, _NUMBERS):
            return f"column {c!r} is {kind}, got {type(v).__name__}"
        elif isinstance(v, int) and not _INT64_MIN <= v <= _INT64_MAX:
            # Arrow holds Python ints as int64: a larger one is an OverflowError (or an
            # error) when the records become columns.
            return f"column {c!r}: integer {v} is outside the int64 range"
    return None


def repeated_columns(names: Sequence[str], among: Sequence[str] | None = None) -> list[str]:
    """Names that appear more than once in ``names`` (only those in ``among``, when
    given), in order of first appearance."""
    counts = Counter(names)
    wanted = None if among is None else set(among)
    return [n for n, k in counts.items() if k > 1 and (wanted is None or n in wanted)]


def checked_table(table: pa.Table) -> pa.Table:
    """``table`` once its buffers are checked against its offsets and lengths (pyarrow's
    cheap validation, O(columns)); :class:`~driftline.exceptions.DataError` otherwise.

    A table read from an untrusted IPC body without validation would otherwise be read
    out of bounds later, when its window's batches are concatenated or profiled, on
    whichever thread closes the window.
    """
    try:
        table.validate()
    except pa.ArrowException as exc:
        raise DataError(f"invalid Arrow data: {exc}") from None
    return table


def check_unique_columns(**lists: str | Sequence[str] | None) -> None:
    """Raise :class:`~driftline.exceptions.InvalidParameter` naming a column listed twice
    in one of the keyword arguments (``features=[...]``): every window would otherwise
    fail to profile."""
    for argument, names in lists.items():
        repeated = repeated_columns([names] if isinstance(names, str) else list(names or ()))
        if repeated:
            raise InvalidParameter(f"{argument} lists {repeated[:20]} more than once")


def batch_plan(
    schema: pa.Schema,
    *,
    features: Sequence[str],
    kinds: dict[str, str],
    keep: Sequence[str],
    segment_by: str | None = None,
    event_time: str | None = None,
) -> tuple[list[str], list[str] | None]:
    """What is wrong with a batch of ``schema`` for a monitor, and the columns to keep of
    it (None: every column, in order).

    A column the monitor reads (a feature, an outcome, the segment key or the event time)
    that appears twice is refused first: which of the two to profile is anybody's guess.
    Duplicates among the other columns are dropped with them.
    """
    names = schema.names
    read = [*kinds, *features, *keep, *(c for c in (segment_by, event_time) if c)]
    repeated = repeated_columns(names, read)
    if repeated:
        problems = [f"columns {repeated[:20]} appear more than once; column names must be unique"]
    else:
        problems = schema_problems(schema, features, kinds, optional=list(kinds))
        if segment_by is not None and segment_by not in names:
            problems.append(f"missing segment column {segment_by!r}")
        elif segment_by is not None:
            problem = segment_key_problem(segment_by, schema.field(segment_by).type)
            if problem:
                problems.append(problem)
    present = set(names)
    wanted = [c for c in [*keep, *([event_time] if event_time else [])] if c in present]
    return problems, None if wanted == names else wanted


def schema_problems(
    schema: pa.Schema,
    features: Sequence[str],
    kinds: dict[str, str],
    optional: Sequence[str] = (),
) -> list[str]:
    """Missing feature columns, and columns (features, and the ``optional`` ones a batch
    may leave out: labels, predictions, group columns) whose kind differs from the
    reference's. Batches of one window are concatenated at its close, so a label that is a
    string in one batch and an integer in another must be refused when it arrives."""
    repeated = repeated_columns(schema.names, [*features, *optional])
    if repeated:
        # schema.field() cannot pick one of two columns of a name: refused before it runs.
        return [f"columns {repeated[:20]} appear more than once; column names must be unique"]
    names = set(schema.names)
    problems = []
    missing = [c for c in features if c not in names]
    if missing:
        problems.append(f"missing columns {missing}")
    for c in [*features, *(c for c in optional if c not in features)]:
        if c not in names:
            continue
        got, want = _kind(schema.field(c).type), kinds.get(c)
        if got == "nested":
            problems.append(
                f"column {c!r} is {schema.field(c).type}: nested values (struct, list, map) "
                "cannot be profiled"
            )
            continue
        if want is None or got == "null" or want == "null" or got == want:
            continue
        if {got, want} == {"numeric", "boolean"}:
            continue
        problems.append(f"column {c!r} is {schema.field(c).type} ({got}), the reference is {want}")
    return problems


def segment_key_problem(column: str, dtype: pa.DataType | str) -> str | None:
    """Why ``column`` cannot be a ``segment_by`` key (a float: each value its own segment,
    and performance cannot group on it), or None.

    ``dtype`` is an Arrow type, or a profile's dtype name (``"float64"``)."""
    if isinstance(dtype, pa.DataType):
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        floating = pa.types.is_floating(dtype)
    else:
        floating = dtype.lower() in ("float", "double", "halffloat") or dtype.lower().startswith(
            "float"
        )
    if not floating:
        return None
    return (
        f"segment_by column {column!r} is {dtype}: a float cannot key segments; bin it "
        "into a string or integer column first"
    )


def quality_findings(reference: Any, window: Any, features: Sequence[str]) -> list[dict[str, Any]]:
    """Null-rate changes, unseen categories and values outside the reference's range.

    Out-of-range shares come from the window's quantile sketch (rank error about 1.3%).
    """
    out: list[dict[str, Any]] = []
    for c in features:
        if c not in window.columns:
            continue
        r, w = reference[c], window[c]
        increase = w.null_rate - r.null_rate
        if increase > 0:
            out.append(
                {
                    "check": "null_rate",
                    "column": c,
                    "reference": r.null_rate,
                    "current": w.null_rate,
                    "increase": increase,
                }
            )
        if r.kind == "categorical" and w.kind == "categorical":
            rf, wf = r.frequencies() or {}, w.frequencies() or {}
            unseen = [k for k in wf if k not in rf]
            if unseen and r.frequencies_exact:
                rows = sum(wf[k] for k in unseen)
                out.append(
                    {
                        "check": "unseen_categories",
                        "column": c,
                        "categories": unseen[:20],
                        "count": len(unseen),
                        "rows": rows,
                    }
                )
        elif (
            r.kind == "numeric" and w.kind == "numeric" and r.min is not None and w.min is not None
        ):
            lo, hi = r.min, r.max
            assert hi is not None and w.max is not None
            if w.min < lo or w.max > hi:
                below = w.rank(math.nextafter(lo, -math.inf)) or 0.0 if w.min < lo else 0.0
                above = 1.0 - (w.rank(hi) or 0.0) if w.max > hi else 0.0
                out.append(
                    {
                        "check": "out_of_range",
                        "column": c,
                        "reference_min": lo,
                        "reference_max": hi,
                        "min": w.min,
                        "max": w.max,
                        "share": max(below + above, 0.0),
                    }
                )
    return out
