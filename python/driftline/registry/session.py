"""A session: every call authenticated by its token, every mutation audited.

The session keeps only the token's SHA-256, and checks it again on each call, so a revoked
or expired token stops working on the next call. A refused call raises
:class:`~driftline.exceptions.PermissionDenied` after the refusal itself has been appended
to the audit trail in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Connection

from driftline.exceptions import PermissionDenied
from driftline.registry import audit
from driftline.registry.admin import AdminOps
from driftline.registry.aliases import AliasOps
from driftline.registry.auth import Denied, Identity, authenticate
from driftline.registry.catalog import CatalogOps
from driftline.registry.context import Context
from driftline.registry.datasets import DatasetOps
from driftline.registry.governance import GovernanceOps
from driftline.registry.lineage import LineageOps
from driftline.registry.records import User
from driftline.registry.tokens import hash_token, looks_like_token

if TYPE_CHECKING:
    from driftline.registry.db import Database

__all__ = ["Session"]

T = TypeVar("T")


class Session(AdminOps, CatalogOps, AliasOps, LineageOps, GovernanceOps, DatasetOps):
    """The registry as seen by one identity (``reg.session(token)``).

    Parameters
    ----------
    db
        The registry's database.
    token
        A ``dlt_`` token; only its hash is kept.

    Raises
    ------
    PermissionDenied
        When the token is unknown, revoked or expired (the refusal is audited).
    """

    def __init__(self, db: Database, token: str) -> None:
        self._db = db
        if not looks_like_token(token):
            self._token_hash = ""
        else:
            self._token_hash = hash_token(token)
        self._name = self._read(lambda conn, who: who.name)

    def __repr__(self) -> str:
        return f"<driftline.registry.Session user={self._name!r}>"

    @property
    def user(self) -> str:
        """The name of the session's user."""
        return self._name

    def whoami(self) -> User:
        """The session's user, as the registry has it now."""
        from driftline.registry.queries import get_user_row, user_record

        return self._read(lambda conn, who: user_record(conn, get_user_row(conn, who.name)))

    # The two doors every operation goes through.

    def _deny(self, denied: Denied, action: str, target: str) -> PermissionDenied:
        self._db.write(
            lambda conn: audit.append(
                conn,
                actor=denied.actor,
                action="denied",
                target=target,
                after={"attempted": action, "reason": denied.reason},
            )
        )
        return PermissionDenied(denied.reason)

    def _read(self, fn: Callable[[Connection, Identity], T], *, target: str = "") -> T:
        try:
            return self._db.read(lambda conn: fn(conn, authenticate(conn, self._token_hash)))
        except Denied as denied:
            raise self._deny(denied, "read", target) from None

    def _write(self, action: str, target: str, fn: Callable[[Context], T]) -> T:
        def run(conn: Connection) -> T:
            ctx = Context(conn=conn, who=authenticate(conn, self._token_hash))
            return fn(ctx)

        try:
            return self._db.write(run)
        except Denied as denied:
            raise self._deny(denied, action, target) from None
