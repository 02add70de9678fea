"""Checks of :func:`~driftline.drift.compare`'s per-column options.

A per-column mapping (``methods``, ``thresholds``, ``min_effect``, ``weights``) that names a
column which is not compared is refused rather than ignored: a misspelt column would
otherwise silently keep its default method or threshold, and a drift gate would pass on
settings nobody chose. Threshold values must be finite numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from driftline.exceptions import InvalidParameter


def check_column_options(compared: Sequence[str], **options: Any) -> None:
    """Raises :class:`InvalidParameter` when a mapping option names a column outside
    ``compared`` or a threshold is not a finite number.

    Examples
    --------
    >>> check_column_options(["x"], thresholds={"y": 0.1})
    Traceback (most recent call last):
    ...
    driftline.exceptions.InvalidParameter: thresholds names a column that is not compared: 'y' (compared: 'x')
    """
    known = set(compared)
    for name, option in options.items():
        if not isinstance(option, Mapping):
            continue
        unknown = [c for c in option if c not in known]
        if unknown:
            listed = ", ".join(repr(c) for c in compared) or "none"
            raise InvalidParameter(
                f"{name} names a column that is not compared: "
                f"{', '.join(repr(c) for c in unknown)} (compared: {listed})"
            )
    thresholds = options.get("thresholds")
    if isinstance(thresholds, Mapping):
        for column, value in thresholds.items():
            threshold_value(column, value)


def threshold_value(column: str, value: Any) -> float:
    """``value`` as a finite float, or an error naming ``column``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(
            f"threshold for column {column!r} is not a number: {value!r}"
        ) from None
    if not math.isfinite(v):
        raise InvalidParameter(f"threshold for column {column!r} must be finite, not {value!r}")
    return v
