"""Administration: users, roles, tokens, owners, settings, suspension, triggers."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from driftline.exceptions import ConflictError, InvalidParameter, NotFound
from driftline.registry.auth import check_role
from driftline.registry.base import OpsBase
from driftline.registry.context import Context
from driftline.registry.inputs import check_name, check_text
from driftline.registry.jsonutil import now
from driftline.registry.queries import (
    get_model_row,
    get_user_row,
    get_version_row,
    inserted_id,
    user_record,
)
from driftline.registry.records import TokenInfo, User
from driftline.registry.schema import model_owners, models, tokens, users, versions
from driftline.registry.schema import settings as settings_table
from driftline.registry.tokens import hash_token, new_token, new_token_id

__all__ = ["DEFAULT_SETTINGS", "AdminOps", "insert_user", "read_settings"]

DEFAULT_SETTINGS: dict[str, str] = {"required_approvals": "1", "require_evidence": "false"}


# The longest token lifetime: beyond it an expiry stops being one (and far enough out, a
# date no longer fits in a datetime).
MAX_EXPIRY = timedelta(days=100 * 366)


def check_expires_in(expires_in: Any) -> timedelta | None:
    """A token lifetime: None (never expires), a timedelta, or a number of seconds;
    positive, finite and at most :data:`MAX_EXPIRY`."""
    if expires_in is None:
        return None
    if isinstance(expires_in, timedelta):
        lifetime = expires_in
    else:
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            raise InvalidParameter("expires_in must be a timedelta or a number of seconds")
        if not math.isfinite(expires_in) or not 0 < expires_in <= MAX_EXPIRY.total_seconds():
            raise InvalidParameter(
                f"expires_in must be a positive number of seconds, at most "
                f"{MAX_EXPIRY.total_seconds():.0f} (100 years); got {expires_in!r}"
            )
        lifetime = timedelta(seconds=expires_in)
    if not timedelta(0) < lifetime <= MAX_EXPIRY:
        raise InvalidParameter(f"expires_in must be positive and at most 100 years; got {lifetime}")
    return lifetime


def _expiry(expires_in: timedelta | float | None) -> str | None:
    lifetime = check_expires_in(expires_in)
    if lifetime is None:
        return None
    return (datetime.now(UTC) + lifetime).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def insert_token(
    ctx_conn: Any, user_id: int, expires_in: timedelta | float | None
) -> tuple[str, str]:
    """Create a token for ``user_id``; return (token, token id). Only the hash is stored."""
    token, token_id = new_token(), new_token_id()
    ctx_conn.execute(
        tokens.insert().values(
            id=token_id,
            user_id=user_id,
            token_hash=hash_token(token),
            created_at=now(),
            expires_at=_expiry(expires_in),
        )
    )
    return token, token_id


def insert_user(
    conn: Any, name: str, role: str, *, kind: str = "human", trigger_model_id: int | None = None
) -> int:
    """Insert a user row (the caller audits it)."""
    if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first() is not None:
        raise ConflictError(f"user {name!r} already exists")
    result = conn.execute(
        users.insert().values(
            name=name, role=role, kind=kind, trigger_model_id=trigger_model_id, created_at=now()
        )
    )
    return inserted_id(result)


def read_settings(conn: Any) -> dict[str, str]:
    """The registry settings, defaults filled in."""
    stored = {row.key: row.value for row in conn.execute(sa.select(settings_table))}
    return {**DEFAULT_SETTINGS, **stored}


def _keep_an_admin(ctx: Context, row: Any, what: str) -> None:
    """Refuse to take away the last active admin: nobody could then manage users, and
    bootstrap is refused once users exist, so the registry would be ungovernable."""
    if row.role != "admin" or row.disabled or row.kind != "human":
        return
    others = ctx.conn.execute(
        sa.select(sa.func.count())
        .select_from(users)
        .where(
            users.c.role == "admin",
            users.c.kind == "human",
            users.c.disabled == sa.false(),
            users.c.id != row.id,
        )
    ).scalar_one()
    if others == 0:
        raise ConflictError(f"cannot {what}: it is the last active admin (create another first)")


class AdminOps(OpsBase):
    """Operations reserved to admins (and reading one's own identity)."""

    def create_user(
        self, name: str, *, role: str = "viewer", expires_in: timedelta | float | None = None
    ) -> str:
        """Create a user and return its first token (shown once, store it safely).

        Parameters
        ----------
        name
            The user's unique name.
        role
            ``viewer``, ``contributor``, ``approver`` or ``admin``.
        expires_in
            Lifetime of the token (a timedelta or seconds); None never expires.
        """
        check_name(name, "user name")
        check_role(role)
        check_expires_in(expires_in)

        def run(ctx: Context) -> str:
            ctx.require("admin", "create users")
            user_id = insert_user(ctx.conn, name, role)
            token, token_id = insert_token(ctx.conn, user_id, expires_in)
            ctx.record("user.create", f"user:{name}", None, {"role": role, "token": token_id})
            return token

        return self._write("user.create", f"user:{name}", run)

    def create_token(self, user: str, *, expires_in: timedelta | float | None = None) -> str:
        """Issue another token for ``user`` (admin only) and return it (shown once)."""
        check_expires_in(expires_in)

        def run(ctx: Context) -> str:
            ctx.require("admin", "issue tokens")
            row = get_user_row(ctx.conn, user)
            token, token_id = insert_token(ctx.conn, row.id, expires_in)
            ctx.record("token.create", f"user:{user}", None, {"token": token_id})
            return token

        return self._write("token.create", f"user:{user}", run)

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token by its id (``tok_...``); it fails from the next call on."""

        def run(ctx: Context) -> None:
            ctx.require("admin", "revoke tokens")
            row = ctx.conn.execute(sa.select(tokens).where(tokens.c.id == token_id)).first()
            if row is None:
                raise NotFound(f"token {token_id!r} does not exist")
            if row.revoked_at is not None:
                return
            ctx.conn.execute(
                tokens.update().where(tokens.c.id == token_id).values(revoked_at=now())
            )
            ctx.record("token.revoke", f"token:{token_id}", {"revoked": False}, {"revoked": True})

        self._write("token.revoke", f"token:{token_id}", run)

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        """Tokens (ids and dates, never the secrets), of one user or all (admin only)."""

        def run(conn: Any, who: Any) -> list[TokenInfo]:
            if user != who.name:
                who.require("admin", "list other users' tokens")
            query = sa.select(tokens, users.c.name).join(users, users.c.id == tokens.c.user_id)
            if user is not None:
                query = query.where(users.c.name == user)
            return [
                TokenInfo(
                    id=r.id,
                    user=r.name,
                    created_at=r.created_at,
                    expires_at=r.expires_at,
                    revoked_at=r.revoked_at,
                )
                for r in conn.execute(query.order_by(tokens.c.created_at))
            ]

        return self._read(run)

    def list_users(self) -> list[User]:
        """Every user."""
        return self._read(
            lambda conn, who: [
                user_record(conn, r) for r in conn.execute(sa.select(users).order_by(users.c.id))
            ]
        )

    def set_role(self, user: str, role: str) -> None:
        """Change a user's role (admin only)."""
        check_role(role)

        def run(ctx: Context) -> None:
            ctx.require("admin", "change roles")
            row = get_user_row(ctx.conn, user)
            if role != "admin":
                _keep_an_admin(ctx, row, f"make {user!r} a {role}")
            ctx.conn.execute(users.update().where(users.c.id == row.id).values(role=role))
            ctx.record("user.role", f"user:{user}", {"role": row.role}, {"role": role})

        self._write("user.role", f"user:{user}", run)

    def disable_user(self, user: str) -> None:
        """Disable a user: all its tokens stop working on the next call (admin only)."""

        def run(ctx: Context) -> None:
            ctx.require("admin", "disable users")
            row = get_user_row(ctx.conn, user)
            _keep_an_admin(ctx, row, f"disable {user!r}")
            ctx.conn.execute(users.update().where(users.c.id == row.id).values(disabled=True))
            ctx.record("user.disable", f"user:{user}", {"disabled": False}, {"disabled": True})

        self._write("user.disable", f"user:{user}", run)

    def add_owner(self, model: str, user: str) -> None:
        """Make ``user`` an owner of ``model`` (admin only)."""

        def run(ctx: Context) -> None:
            ctx.require("admin", "set model owners")
            model_row = get_model_row(ctx.conn, model)
            user_row = get_user_row(ctx.conn, user)
            exists = ctx.conn.execute(
                sa.select(model_owners).where(
                    model_owners.c.model_id == model_row.id,
                    model_owners.c.user_id == user_row.id,
                )
            ).first()
            if exists is None:
                ctx.conn.execute(
                    model_owners.insert().values(model_id=model_row.id, user_id=user_row.id)
                )
                ctx.record("model.owner.add", f"model:{model}", None, {"owner": user})

        self._write("model.owner.add", f"model:{model}", run)

    def remove_owner(self, model: str, user: str) -> None:
        """Remove ``user`` from the owners of ``model`` (admin only)."""

        def run(ctx: Context) -> None:
            ctx.require("admin", "set model owners")
            model_row = get_model_row(ctx.conn, model)
            user_row = get_user_row(ctx.conn, user)
            deleted = ctx.conn.execute(
                model_owners.delete().where(
                    model_owners.c.model_id == model_row.id,
                    model_owners.c.user_id == user_row.id,
                )
            )
            if deleted.rowcount:
                ctx.record("model.owner.remove", f"model:{model}", {"owner": user}, None)

        self._write("model.owner.remove", f"model:{model}", run)

    def configure(
        self, *, required_approvals: int | None = None, require_evidence: bool | None = None
    ) -> dict[str, str]:
        """Change the governance settings (admin only) and return them all.

        Parameters
        ----------
        required_approvals
            Approvals a version needs before production (default 1, at least 1).
        require_evidence
            Whether one approval must carry passing evidence (a validation, drift or
            fairness report).
        """
        changes: dict[str, str] = {}
        if required_approvals is not None:
            if isinstance(required_approvals, bool) or not isinstance(required_approvals, int):
                raise InvalidParameter("required_approvals must be an integer")
            if not 1 <= required_approvals <= 100:
                raise InvalidParameter("required_approvals must be between 1 and 100")
            changes["required_approvals"] = str(required_approvals)
        if require_evidence is not None:
            # A bool, not anything truthy: require_evidence="false" would turn it on.
            if not isinstance(require_evidence, bool):
                raise InvalidParameter(
                    f"require_evidence must be True or False; got {require_evidence!r}"
                )
            changes["require_evidence"] = "true" if require_evidence else "false"

        def run(ctx: Context) -> dict[str, str]:
            ctx.require("admin", "change settings")
            before = read_settings(ctx.conn)
            for key, value in changes.items():
                ctx.conn.execute(settings_table.delete().where(settings_table.c.key == key))
                ctx.conn.execute(settings_table.insert().values(key=key, value=value))
            after = read_settings(ctx.conn)
            if changes:
                ctx.record("settings.update", "settings", before, after)
            return after

        return self._write("settings.update", "settings", run)

    def suspend(self, model: str, version: int | str | None = None, *, reason: str) -> None:
        """The kill switch (admin only): suspend a model or one version.

        A suspended model's versions cannot move, be aliased or approved, and its
        retraining triggers are refused until :meth:`resume`.
        """
        check_text(reason, "reason")
        self._set_suspended(model, version, True, reason)

    def resume(self, model: str, version: int | str | None = None) -> None:
        """Lift a suspension set by :meth:`suspend` (admin only)."""
        self._set_suspended(model, version, False, None)

    def _set_suspended(
        self, model: str, version: int | str | None, value: bool, reason: str | None
    ) -> None:
        action = "suspend" if value else "resume"
        target = f"model:{model}" if version is None else f"version:{model}/{version}"

        def run(ctx: Context) -> None:
            ctx.require("admin", f"{action} models")
            model_row = get_model_row(ctx.conn, model)
            if version is None:
                ctx.conn.execute(
                    models.update()
                    .where(models.c.id == model_row.id)
                    .values(
                        suspended=value,
                        suspended_reason=reason,
                        revision=models.c.revision + 1,
                    )
                )
                before = {"suspended": bool(model_row.suspended)}
            else:
                row = get_version_row(ctx.conn, model_row, version)
                ctx.conn.execute(
                    versions.update()
                    .where(versions.c.id == row.id)
                    .values(suspended=value, revision=versions.c.revision + 1, updated_at=now())
                )
                before = {"suspended": bool(row.suspended)}
            ctx.record(action, target, before, {"suspended": value, "reason": reason})

        self._write(action, target, run)

    def create_trigger(self, model: str, name: str) -> str:
        """Create a retraining trigger identity for ``model`` and return its token.

        A trigger may only register candidate versions of its model (they wait in
        development for review and approval); it can never approve or promote, and it is
        refused while the model is suspended.
        """
        check_name(name, "trigger name")

        def run(ctx: Context) -> str:
            ctx.require("admin", "create triggers")
            model_row = get_model_row(ctx.conn, model)
            user_id = insert_user(
                ctx.conn, name, "contributor", kind="trigger", trigger_model_id=model_row.id
            )
            token, token_id = insert_token(ctx.conn, user_id, None)
            ctx.record(
                "trigger.create", f"model:{model}", None, {"trigger": name, "token": token_id}
            )
            return token

        return self._write("trigger.create", f"model:{model}", run)

    def settings(self) -> dict[str, str]:
        """The governance settings."""
        return self._read(lambda conn, who: read_settings(conn))
