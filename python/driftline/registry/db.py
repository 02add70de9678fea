"""Connections and transactions: SQLite (the default) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL``, foreign keys on and a busy timeout, and
every write transaction starts with ``BEGIN IMMEDIATE`` so that writers queue instead of
failing half-way. PostgreSQL runs write transactions ``SERIALIZABLE``, takes an
``EXCLUSIVE`` lock on the audit table before its first read (so writers, and therefore
appends to the audit chain, are serialised and see the latest head), and retries a
transaction that fails on a serialisation failure or a deadlock.

An in-memory SQLite database (``sqlite://``) lives in one DBAPI connection that every
thread shares; each transaction on it holds a process-wide lock, so transactions of
different threads never interleave on that connection.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from driftline.exceptions import InvalidParameter

__all__ = ["DEFAULT_URL", "Database"]

T = TypeVar("T")

DEFAULT_URL = "sqlite:///.driftline/registry.db"
BUSY_TIMEOUT_MS = 30_000
MAX_RETRIES = 30
# SQLSTATEs a PostgreSQL transaction is retried on: serialization_failure, deadlock_detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})
_WRITE_OPTION = "driftline_write"


class Database:
    """An engine plus the transaction discipline the registry relies on.

    Parameters
    ----------
    url
        A SQLAlchemy URL: ``sqlite:///path.db`` or ``postgresql+psycopg://...``.
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise InvalidParameter(f"not a database URL: {exc}") from None
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        # Held around every transaction. Only the in-memory database needs it: its threads
        # share one DBAPI connection, on which two transactions would interleave (a BEGIN
        # inside another's transaction, one thread's COMMIT ending the other's writes).
        # Reentrant, so a transaction may open a nested one on the same thread.
        self._lock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if self.dialect == "sqlite":
            if self._in_memory(parsed):
                self._lock = threading.RLock()
            self.engine = self._sqlite_engine(parsed)
        elif self.dialect == "postgresql":
            self.engine = sa.create_engine(
                parsed, isolation_level="SERIALIZABLE", pool_pre_ping=True
            )
        else:
            raise InvalidParameter(
                f"unsupported registry database {self.dialect!r}: use sqlite or postgresql"
            )

    @staticmethod
    def _in_memory(url: sa.URL) -> bool:
        return (url.database or "") in ("", ":memory:")

    @classmethod
    def _sqlite_engine(cls, url: sa.URL) -> Engine:
        if cls._in_memory(url):
            # One shared connection, or every connection would see its own empty database.
            engine = sa.create_engine(
                "sqlite://",
                poolclass=sa.pool.StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own implicit
            # transactions would start too late and never IMMEDIATE).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(_WRITE_OPTION):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one serialised write transaction, retrying transient failures.

        ``fn`` may run more than once (PostgreSQL retries), so it must not have effects
        outside the transaction.
        """
        for attempt in range(MAX_RETRIES):
            try:
                options = {_WRITE_OPTION: True}
                with (
                    self._lock,
                    self.engine.connect().execution_options(**options) as conn,
                    conn.begin(),
                ):
                    if self.dialect == "postgresql":
                        # Before any read, so the snapshot is taken after the lock.
                        conn.exec_driver_sql("LOCK TABLE audit_events IN EXCLUSIVE MODE")
                    return fn(conn)
            except sa.exc.DBAPIError as exc:
                if attempt + 1 < MAX_RETRIES and self._retryable(exc):
                    time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a read transaction (one consistent snapshot)."""
        for attempt in range(MAX_RETRIES):
            try:
                with self._lock, self.engine.connect() as conn, conn.begin():
                    return fn(conn)
            except sa.exc.DBAPIError as exc:
                if attempt + 1 < MAX_RETRIES and self._retryable(exc):
                    time.sleep(min(0.5, 0.005 * 2**attempt) * random.random())
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _retryable(self, exc: sa.exc.DBAPIError) -> bool:
        if self.dialect == "postgresql":
            return getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES
        # SQLite: only a lock that outlived the busy timeout.
        return "database is locked" in str(exc.orig)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
