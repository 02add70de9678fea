"""Alembic migrations of the registry schema, run programmatically by :func:`upgrade`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["HEAD", "current_revision", "upgrade"]

#: The newest revision; a database at it needs no migration (the fast path on open).
HEAD = "0002"
_HERE = Path(__file__).resolve().parent


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(conn: Connection) -> None:
    """Bring the schema to :data:`HEAD` inside the caller's (write) transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
