"""The per-call context of a write: the connection, the caller, and the audit appender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from driftline.registry import audit
from driftline.registry.auth import Denied, Identity, is_owner

__all__ = ["Context"]


@dataclass
class Context:
    """What an operation needs inside its transaction."""

    conn: Connection
    who: Identity

    def record(self, action: str, target: str, before: Any = None, after: Any = None) -> None:
        """Append the audit event of this mutation, in the same transaction."""
        audit.append(
            self.conn,
            actor=self.who.name,
            action=action,
            target=target,
            before=before,
            after=after,
        )

    def require(self, permission: str, what: str) -> None:
        """Raise Denied unless the caller's role grants ``permission``."""
        self.who.require(permission, what)

    def require_model_write(self, model: Any, what: str) -> None:
        """Owners (and admins) may change a model's versions, tags and aliases."""
        who = self.who
        if who.kind == "trigger":
            raise Denied(who.name, f"trigger {who.name!r} may not {what}")
        if who.may("write_any"):
            return
        if who.may("write_owned") and is_owner(self.conn, model.id, who.user_id):
            return
        raise Denied(who.name, f"{who.name!r} ({who.role}) may not {what}: not an owner")
