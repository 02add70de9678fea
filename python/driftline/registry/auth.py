"""Roles, permissions and token authentication: deny by default.

=============  ==============================================================
role           may
=============  ==============================================================
viewer         read everything
contributor    read; create models (becoming their owner) and datasets; for the
               models it owns: register versions, tag, alias, move through
               development and staging, promote approved versions, and archive or
               retire versions that never reached production
approver       read; approve and reject versions it neither created nor gave their
               current artifact; promote, archive and retire, production versions
               included
admin          everything above plus users, roles, tokens, owners, settings and
               suspension (the kill switch)
=============  ==============================================================

A retraining trigger is a user of kind ``trigger`` bound to one model: it may read,
register the datasets its candidates are trained on, and register candidate versions of
that model (nothing while the model is suspended). Anything not granted here is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import InvalidParameter
from driftline.registry.jsonutil import now
from driftline.registry.schema import model_owners, tokens, users

__all__ = ["ROLES", "Denied", "Identity", "authenticate", "check_role", "is_owner"]

ROLES = ("viewer", "contributor", "approver", "admin")

_GRANTS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "contributor": frozenset({"read", "create_model", "register_dataset", "write_owned"}),
    "approver": frozenset({"read", "approve", "promote"}),
    "admin": frozenset(
        {"read", "create_model", "register_dataset", "write_owned", "write_any", "approve"}
        | {"promote", "admin"}
    ),
}


class Denied(Exception):
    """Internal: raised inside a transaction, turned into an audited PermissionDenied."""

    def __init__(self, actor: str, reason: str) -> None:
        super().__init__(reason)
        self.actor = actor
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """The authenticated caller of one call."""

    user_id: int
    name: str
    role: str
    kind: str
    trigger_model_id: int | None
    token_id: str

    def may(self, permission: str) -> bool:
        """Whether the role grants ``permission`` (triggers are checked separately)."""
        if self.kind == "trigger":
            # A retraining run records the data its candidate was trained on (lineage).
            return permission in ("read", "register_dataset")
        return permission in _GRANTS.get(self.role, frozenset())

    def require(self, permission: str, what: str) -> None:
        """Raise :class:`Denied` unless the role grants ``permission``."""
        if not self.may(permission):
            raise Denied(self.name, f"{self.name!r} ({self.role}) may not {what}")


def check_role(role: Any) -> str:
    """Return ``role`` if it is one of :data:`ROLES`."""
    if role not in ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    return str(role)


def authenticate(conn: Connection, token_hash: str) -> Identity:
    """The identity behind a token hash, checked now (revocation and expiry included)."""
    row = conn.execute(
        sa.select(
            tokens.c.id,
            tokens.c.expires_at,
            tokens.c.revoked_at,
            users.c.id.label("user_id"),
            users.c.name,
            users.c.role,
            users.c.kind,
            users.c.trigger_model_id,
            users.c.disabled,
        )
        .join(users, users.c.id == tokens.c.user_id)
        .where(tokens.c.token_hash == token_hash)
    ).first()
    if row is None:
        raise Denied("<unknown token>", "the token is not valid")
    if row.revoked_at is not None:
        raise Denied(row.name, f"token {row.id} was revoked")
    if row.expires_at is not None and row.expires_at <= now():
        raise Denied(row.name, f"token {row.id} expired at {row.expires_at}")
    if row.disabled:
        raise Denied(row.name, f"user {row.name!r} is disabled")
    return Identity(
        user_id=row.user_id,
        name=row.name,
        role=row.role,
        kind=row.kind,
        trigger_model_id=row.trigger_model_id,
        token_id=row.id,
    )


def is_owner(conn: Connection, model_id: int, user_id: int) -> bool:
    """Whether the user is one of the model's owners."""
    return (
        conn.execute(
            sa.select(model_owners.c.user_id).where(
                model_owners.c.model_id == model_id, model_owners.c.user_id == user_id
            )
        ).first()
        is not None
    )
