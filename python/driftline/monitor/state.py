"""Durable monitor state: policy states and window counters in SQLite, one JSON per key."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

__all__ = ["StateStore"]


class StateStore:
    """A small key-value store (``monitor``, ``key``) -> JSON, written atomically.

    Examples
    --------
    >>> s = StateStore(":memory:")
    >>> s.save("m", {"policy:drift": {"active": True}})
    >>> s.load("m")
    {'policy:drift': {'active': True}}
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS monitor_state (monitor TEXT NOT NULL,"
                " key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (monitor, key))"
            )

    def load(self, monitor: str) -> dict[str, Any]:
        """Every key of ``monitor``."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, value FROM monitor_state WHERE monitor = ?", (monitor,)
            ).fetchall()
        return {k: json.loads(v) for k, v in rows}

    def save(self, monitor: str, values: dict[str, Any]) -> None:
        """Upsert these keys in one transaction."""
        rows = [(monitor, k, json.dumps(v, default=str)) for k, v in values.items()]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO monitor_state (monitor, key, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (monitor, key) DO UPDATE SET value = excluded.value",
                    rows,
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
