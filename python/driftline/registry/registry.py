"""``dl.Registry``: open (and migrate) a registry database, bootstrap it, open sessions."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import PermissionDenied
from driftline.registry import audit as _audit
from driftline.registry import migrations
from driftline.registry.admin import insert_token, insert_user
from driftline.registry.audit import Audit
from driftline.registry.db import DEFAULT_URL, Database
from driftline.registry.inputs import check_name
from driftline.registry.schema import users
from driftline.registry.session import Session

__all__ = ["Registry"]


class Registry:
    """A governed model registry in SQLite (default) or PostgreSQL.

    Opening a registry creates or migrates its schema; it does not need driftline's native
    module (only registering datasets does, to profile them).

    Parameters
    ----------
    url
        ``sqlite:///path/registry.db`` (default ``sqlite:///.driftline/registry.db``),
        ``sqlite://`` for an in-memory registry, or ``postgresql+psycopg://user@host/db``.

    Examples
    --------
    >>> import driftline as dl
    >>> reg = dl.Registry("sqlite://")
    >>> token = reg.bootstrap("root")
    >>> token.startswith("dlt_")
    True
    >>> admin = reg.session(token)
    >>> admin.user
    'root'
    >>> reg.audit.verify().ok
    True
    """

    def __init__(self, url: str = DEFAULT_URL) -> None:
        if url == DEFAULT_URL:
            # Only the default location is created; a given URL must point somewhere real.
            Path(".driftline").mkdir(exist_ok=True)
        self._db = Database(url)
        self.audit = Audit(self._db)
        self._migrate()

    def __repr__(self) -> str:
        return f"<driftline.Registry {self._db.url.render_as_string(hide_password=True)}>"

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    def _migrate(self) -> None:
        def at_head(conn: Connection) -> bool:
            return migrations.current_revision(conn) == migrations.HEAD

        if self._db.read(at_head):
            return
        if self._db.dialect == "postgresql":
            # The write helper locks the audit table, which may not exist yet.
            with self._db.engine.begin() as conn:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7245690117)")
                migrations.upgrade(conn)
            return
        self._db.write(migrations.upgrade)

    def bootstrap(self, name: str) -> str:
        """Create the first admin and return its token (shown once).

        Raises
        ------
        PermissionDenied
            Once any user exists (the refusal is audited).
        """
        check_name(name, "user name")

        def run(conn: Connection) -> str | None:
            if conn.execute(sa.select(users.c.id).limit(1)).first() is not None:
                return None
            user_id = insert_user(conn, name, "admin")
            token, token_id = insert_token(conn, user_id, None)
            _audit.append(
                conn,
                actor=name,
                action="bootstrap",
                target=f"user:{name}",
                after={"role": "admin", "token": token_id},
            )
            return token

        token = self._db.write(run)
        if token is None:
            self._db.write(
                lambda conn: _audit.append(
                    conn,
                    actor="<bootstrap>",
                    action="denied",
                    target=f"user:{name}",
                    after={"attempted": "bootstrap", "reason": "users already exist"},
                )
            )
            raise PermissionDenied("the registry is already bootstrapped: ask an admin")
        return token

    def session(self, token: str) -> Session:
        """A session acting as the token's user (checked again on every call)."""
        return Session(self._db, token)

    def close(self) -> None:
        """Release the database connections."""
        self._db.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
