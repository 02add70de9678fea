"""What a stored segment summary must look like, checked before anything reads it.

A summary is kept as a model version's ``metrics["segments"]``: any contributor can store
any JSON there, so :class:`~driftline.report.segments.SegmentSummary` reads it through
these checks. Each one raises :class:`ValueError` naming the first part that does not fit
(a table given as a list, a row of the wrong width, an integer beyond the float range, a
missing segment column, a histogram that is not numbers), so a reader gets one error type
to handle instead of the ``TypeError``, ``KeyError`` or ``OverflowError`` of the first
line that trips on it.

Examples
--------
>>> read_table({"columns": ["segment", "mae"], "rows": [["a", 1.5]]}, "drift", "segment")
[{'segment': 'a', 'mae': 1.5}]
>>> read_table([1], "drift", "segment")
Traceback (most recent call last):
...
ValueError: drift table must be an object with columns and rows, not list
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["FORMAT", "is_summary", "read_detail", "read_table"]

FORMAT = 1
_FEATURE_NUMBERS = ("statistic", "p_value_adjusted", "effect_size")


def is_summary(data: Any) -> bool:
    """Whether ``data`` claims to be a segment summary (a mapping with ``format`` 1).

    A claim only: :class:`~driftline.report.segments.SegmentSummary` still checks the rest.
    """
    if not isinstance(data, Mapping):
        return False
    fmt = data.get("format")
    return isinstance(fmt, int) and not isinstance(fmt, bool) and fmt == FORMAT


def number(value: Any, what: str) -> float | int | None:
    """A cell that must be a number or missing: the number, None for missing or non-finite.

    Raises
    ------
    ValueError
        Not a number, or an integer no float can hold (``float()`` would overflow).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {type(value).__name__}")
    if isinstance(value, int):
        # int-to-float comparison is exact in Python, so this cannot overflow itself.
        if not -sys.float_info.max <= value <= sys.float_info.max:
            raise ValueError(f"{what} is an integer beyond the float range")
        return value
    return value if math.isfinite(value) else None


def _cell(value: Any, what: str = "a cell") -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return number(value, what)
    raise ValueError(
        f"{what} must be a string, number, boolean or null, not {type(value).__name__}"
    )


def read_table(table: Any, what: str, key_column: str) -> list[dict[str, Any]]:
    """A column-wise table (``{"columns": [...], "rows": [[...], ...]}``) as row dicts.

    ``None`` is an empty table. Column names must be distinct strings, every row as wide as
    the columns, every cell a scalar, and ``key_column`` (the segment key) present.
    Non-finite floats become None, as :func:`~driftline.report.segments.segment_summary`
    stores them.
    """
    if table is None:
        return []
    if not isinstance(table, Mapping):
        raise ValueError(
            f"{what} table must be an object with columns and rows, not {type(table).__name__}"
        )
    columns, rows = table.get("columns"), table.get("rows")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ValueError(f"{what} table columns must be a list of strings")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{what} table has a repeated column name")
    if key_column not in columns:
        raise ValueError(f"{what} table has no {key_column!r} column")
    if not isinstance(rows, list):
        raise ValueError(f"{what} table rows must be a list")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ValueError(f"{what} table row {i} is not a list of {len(columns)} cells")
        try:
            # The message is built only on failure: a table holds thousands of cells.
            out.append({c: _cell(v) for c, v in zip(columns, row, strict=True)})
        except ValueError as exc:
            raise ValueError(f"{what} table row {i}: {exc}") from None
    return out


def _numbers(values: Any, what: str) -> list[float | int | None]:
    if not isinstance(values, list):
        raise ValueError(f"{what} must be a list")
    return [number(v, what) for v in values]


def _histogram(h: Any, what: str) -> dict[str, list[Any]] | None:
    if h is None:
        return None
    if not isinstance(h, Mapping):
        raise ValueError(f"{what} histogram must be an object or null")
    labels = h.get("labels", [])
    if not isinstance(labels, list):
        raise ValueError(f"{what} histogram labels must be a list")
    return {
        "labels": [_cell(v, f"{what} histogram label") for v in labels],
        "reference": _numbers(h.get("reference", []), f"{what} histogram reference"),
        "current": _numbers(h.get("current", []), f"{what} histogram current"),
    }


def _feature(f: Any, what: str) -> dict[str, Any]:
    if not isinstance(f, Mapping):
        raise ValueError(f"{what} must be an object")
    if f.get("column") is None:
        raise ValueError(f"{what} has no column")
    out: dict[str, Any] = {
        "column": str(_cell(f.get("column"), f"{what} column")),
        "kind": str(_cell(f.get("kind", ""), f"{what} kind")),
        "method": str(_cell(f.get("method", ""), f"{what} method")),
        "drifted": bool(f.get("drifted")),
    }
    for name in _FEATURE_NUMBERS:
        out[name] = number(f.get(name), f"{what} {name}")
    out["histogram"] = _histogram(f.get("histogram"), what)
    return out


def read_detail(detail: Any) -> dict[str, list[dict[str, Any]]]:
    """The per-segment feature drift (segment key -> features), keys as strings.

    ``None`` is no detail. Keys are made strings because a summary that went through JSON
    has string keys whatever the segment column's type, and pages look segments up by text.
    """
    if detail is None:
        return {}
    if not isinstance(detail, Mapping):
        raise ValueError(f"detail must be an object, not {type(detail).__name__}")
    out: dict[str, list[dict[str, Any]]] = {}
    for key, features in detail.items():
        if not isinstance(features, list):
            raise ValueError(f"detail of segment {str(key)[:64]!r} must be a list")
        out[str(key)] = [
            _feature(f, f"detail of segment {str(key)[:64]!r} feature {i}")
            for i, f in enumerate(features)
        ]
    return out
