"""Trigger payloads as strict JSON (RFC 8259): what the outbox stores, webhooks send and the
server answers.

A window's findings can hold non-finite floats (the ``max`` of a column of ``inf``, a
statistic that is NaN on a constant column). Python's :mod:`json` writes those as
``Infinity`` / ``NaN``, which no strict parser (JavaScript's ``JSON.parse``, Go,
``jq``) accepts, so they become ``null`` here; dates and times become ISO 8601 text, as in
every other result driftline serialises (:func:`driftline._plain.plain_value`).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

from driftline._plain import plain_value

__all__ = ["dumps", "json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None, mappings and sequences
    walked (tuples and sets become lists, keys text), temporal values as ISO 8601 text.

    Examples
    --------
    >>> json_safe({"max": float("inf"), "values": (1.0, float("nan")), 3: "a"})
    {'max': None, 'values': [1.0, None], '3': 'a'}
    """
    if isinstance(value, float):
        # Covers numpy.float64 as well (a float subclass).
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)  # numpy integers: a JSON number, not their str()
    if isinstance(value, numbers.Real):
        number = float(value)  # numpy.float32 and friends (not float subclasses)
        return number if math.isfinite(number) else None
    return plain_value(value)


def dumps(value: Any, **options: Any) -> str:
    """Strict JSON text of :func:`json_safe` ``(value)``; other objects as ``str``.

    Examples
    --------
    >>> dumps({"max": float("inf")})
    '{"max": null}'
    """
    return json.dumps(json_safe(value), allow_nan=False, default=str, **options)
