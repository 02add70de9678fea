"""Call a Python function for each trigger (a retraining function, say)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Call"]


class Call:
    """Call ``fn(payload)`` for each trigger; an exception makes it a dead letter.

    Examples
    --------
    >>> seen = []
    >>> Call(seen.append, name="collect").deliver({"policy": "drift"}, "msg_1")
    >>> seen
    [{'policy': 'drift'}]
    """

    def __init__(self, fn: Callable[[dict[str, Any]], Any], *, name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError("Call needs a callable")
        self.fn = fn
        self.name = (
            name or f"call:{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', fn)}"
        )

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Call the function once."""
        self.fn(payload)
