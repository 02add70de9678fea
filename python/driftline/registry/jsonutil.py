"""Canonical JSON: the one text form the registry stores and the audit chain hashes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from driftline.exceptions import InvalidParameter

__all__ = ["canonical", "loads", "now"]


def _default(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy scalars
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise InvalidParameter(f"value of type {type(value).__name__} cannot be stored as JSON")


def _check_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidParameter("NaN and infinities cannot be stored: use None or a string")
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_finite(item)


def canonical(value: Any, what: str = "value") -> str:
    """Sorted keys, no spaces, UTF-8 kept literal, NaN refused.

    Anything that has no such form raises InvalidParameter naming ``what``: keys that do
    not sort against each other or are not JSON keys, containers that contain
    themselves (or nest too deeply), arrays, and text that is not valid UTF-8 (lone
    surrogates), which the database would refuse mid-transaction.
    """
    try:
        _check_finite(value)
        text = json.dumps(
            value,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,  # numpy's non-float NaNs arrive through _default
            default=_default,
        )
        text.encode("utf-8")
    except InvalidParameter as exc:
        raise InvalidParameter(f"{what}: {exc}") from None
    except RecursionError:
        raise InvalidParameter(
            f"{what} cannot be stored as JSON: it contains itself or nests too deeply"
        ) from None
    except UnicodeEncodeError:
        raise InvalidParameter(
            f"{what} cannot be stored as JSON: it contains text that is not valid UTF-8 "
            "(a lone surrogate)"
        ) from None
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"{what} cannot be stored as JSON: {exc}") from None
    return text


def loads(text: str | None) -> Any:
    """Parse stored JSON text (None stays None)."""
    return None if text is None else json.loads(text)


def now() -> str:
    """The current UTC time as a sortable ISO-8601 string with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
