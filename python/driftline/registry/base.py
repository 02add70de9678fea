"""The two doors the operation mixins use; :class:`~driftline.registry.session.Session`
implements them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from driftline.registry.auth import Identity
    from driftline.registry.context import Context
    from driftline.registry.db import Database

__all__ = ["OpsBase"]

T = TypeVar("T")


class OpsBase:
    """Declares the session's transaction entry points for the operation mixins."""

    _db: Database

    def _read(self, fn: Callable[[Connection, Identity], T], *, target: str = "") -> T:
        raise NotImplementedError

    def _write(self, action: str, target: str, fn: Callable[[Context], T]) -> T:
        raise NotImplementedError
