"""Call a Python function for each trigger (a retraining function, say)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

__all__ = ["Call"]

# A default repr (``<__main__.Notifier object at 0x7f...>``) names a memory address, which
# changes with every process: an outbox name built from it would orphan the deliveries a
# crashed process left pending.
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]+")


def _name_of(fn: Any) -> str:
    return f"call:{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', fn)}"


def default_name(fn: Callable[..., Any]) -> str:
    """The outbox name of ``Call(fn)``: stable across processes.

    ``call:<module>.<qualname>`` for functions, methods and builtins, and for objects with
    a repr free of memory addresses the name earlier versions gave (outbox rows written
    by them keep their action). A :func:`functools.partial` is named after the function
    it wraps, any other callable object after its class: give ``name=`` to tell two of
    them apart.

    Examples
    --------
    >>> import functools, json
    >>> default_name(json.dumps), default_name(functools.partial(json.dumps, indent=2))
    ('call:json.dumps', 'call:json.dumps')
    """
    name = _name_of(fn)
    if not _ADDRESS.search(name):
        return name
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    name = _name_of(target)
    if not _ADDRESS.search(name):
        return name
    cls = type(target)
    return f"call:{cls.__module__}.{cls.__qualname__}"


class Call:
    """Call ``fn(payload)`` for each trigger; an exception makes it a dead letter.

    The default ``name`` (the action's identity in the outbox, across restarts) is
    :func:`default_name`'s.

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
        self.name = name or default_name(fn)

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Call the function once."""
        self.fn(payload)
