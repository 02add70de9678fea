"""``dl.Registry``: open (and migrate) a registry database, bootstrap it, open sessions."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import DecodeError, InvalidParameter, PermissionDenied
from driftline.registry import audit as _audit
from driftline.registry import migrations
from driftline.registry.admin import insert_token, insert_user
from driftline.registry.audit import Audit
from driftline.registry.db import DEFAULT_URL, Database
from driftline.registry.inputs import check_name
from driftline.registry.schema import users
from driftline.registry.session import Session

__all__ = ["Registry"]


def _shown(url: str) -> str:
    """The URL for a message, its password hidden (or nothing, if it does not parse)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparseable URL)"


def _reason(exc: BaseException | None) -> str:
    # Driver messages span lines (psycopg adds hints); the CLI prints one line.
    return re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__


def _command_error() -> type[Exception]:
    # Imported lazily, like alembic itself in migrations.upgrade.
    from alembic.util import CommandError

    return CommandError


class Registry:
    """A governed model registry in SQLite (default) or PostgreSQL.

    Opening a registry creates or migrates its schema; it does not need driftline's native
    module (only registering datasets does, to profile them).

    Parameters
    ----------
    url
        ``sqlite:///path/registry.db`` (default ``sqlite:///.driftline/registry.db``),
        ``sqlite://`` for an in-memory registry, or ``postgresql+psycopg://user@host/db``.

    Raises
    ------
    InvalidParameter
        The database cannot be opened or reached (a missing directory, a refused
        connection, a driver that is not installed).
    DecodeError
        The target is not a registry database this version of driftline can use (not
        a database at all, or a schema revision it does not know).

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
        try:
            self._db = Database(url)
        except (ImportError, sa.exc.ArgumentError) as exc:
            # A dialect or driver SQLAlchemy cannot load (postgresql+psycopg2 without it).
            raise InvalidParameter(
                f"cannot open registry database {_shown(url)}: {_reason(exc)}"
            ) from None
        self.audit = Audit(self._db)
        try:
            self._migrate()
        except BaseException:
            # Nothing else will close the pool of a registry that failed to open.
            self._db.dispose()
            raise

    def __repr__(self) -> str:
        return f"<driftline.Registry {self._db.url.render_as_string(hide_password=True)}>"

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    def _migrate(self) -> None:
        # The first statements run against the database happen here, so this is where a
        # bad URL or a foreign file shows: say which database and why, in driftline terms.
        shown = self._db.url.render_as_string(hide_password=True)
        try:
            revision = self._db.read(migrations.current_revision)
        except sa.exc.OperationalError as exc:
            raise InvalidParameter(
                f"cannot open registry database {shown}: {_reason(exc.orig)}"
            ) from None
        except sa.exc.DBAPIError as exc:
            raise DecodeError(
                f"{shown} is not a usable registry database: {_reason(exc.orig)}"
            ) from None
        if revision == migrations.HEAD:
            return
        try:
            self._upgrade()
        except sa.exc.DBAPIError as exc:
            # Typically another application's tables in the way of ours.
            raise DecodeError(
                f"cannot create the registry schema in {shown}: {_reason(exc.orig)}"
            ) from None
        except _command_error() as exc:
            raise DecodeError(
                f"registry database {shown} is at schema revision {revision!r}, which this "
                f"version of driftline (schema {migrations.HEAD}) does not know: "
                f"{_reason(exc)}; upgrade driftline"
            ) from None

    def _upgrade(self) -> None:
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
