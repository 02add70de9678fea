"""A durable outbox: triggers are written before they are dispatched, and never twice.

Each row is one (trigger, action) delivery whose id is the idempotency key (the webhook's
``webhook-id``). The id is derived from the monitor, the window and the policy, so a
process that decides the same trigger again after a crash inserts nothing new (``INSERT
OR IGNORE``), and a process killed mid-delivery redelivers the same id on restart (the
receiver deduplicates). All rows of one decision are written in one transaction: a crash
leaves all or none. SQLite in WAL mode; safe across threads and processes.

States: ``pending`` -> ``delivered`` | ``dead`` (retries exhausted or a permanent error;
``driftline triggers replay`` sets it back to pending) | ``suppressed`` (the action chose
not to run, e.g. the model is suspended).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftline.actions.base import Action, DeliveryError, Suppressed
from driftline.actions.payload import dumps

__all__ = ["Delivery", "Dispatcher", "Outbox"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, created_at);
"""


@dataclass(frozen=True)
class Delivery:
    """One row of the outbox."""

    id: str
    action: str
    trigger_id: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None


class Outbox:
    """The durable queue between decisions and actions.

    Parameters
    ----------
    path
        SQLite file (created with its folder); ``":memory:"`` for tests only.

    Examples
    --------
    >>> box = Outbox(":memory:")
    >>> box.put("t1", {"policy": "drift"}, ["log"])
    1
    >>> box.put("t1", {"policy": "drift"}, ["log"])  # decided again after a restart
    0
    >>> [d.status for d in box.list()]
    ['pending']
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._dispatching = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    @staticmethod
    def delivery_id(trigger_id: str, action: str) -> str:
        """The idempotency key of one action of one trigger (``msg_`` + 32 hex digits)."""
        import hashlib

        return "msg_" + hashlib.sha256(f"{trigger_id}\x00{action}".encode()).hexdigest()[:32]

    def put(self, trigger_id: str, payload: Mapping[str, Any], actions: Iterable[str]) -> int:
        """Record the deliveries of one trigger atomically; returns how many are new."""
        now = time.time()
        # Stored as strict JSON: every action (and `driftline triggers list`) reads it back.
        body = dumps(payload, sort_keys=True)
        rows = [(self.delivery_id(trigger_id, a), a, trigger_id, body, now, now) for a in actions]
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                before = self._conn.total_changes
                cur.executemany(
                    "INSERT OR IGNORE INTO outbox (id, action, trigger_id, payload, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                added = self._conn.total_changes - before
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return added

    def list(self, status: str | None = None) -> list[Delivery]:
        """Deliveries, oldest first, optionally of one status."""
        q = "SELECT id, action, trigger_id, payload, status, attempts, last_error FROM outbox"
        args: tuple[Any, ...] = ()
        if status is not None:
            q += " WHERE status = ?"
            args = (status,)
        with self._lock:
            rows = self._conn.execute(q + " ORDER BY created_at, id", args).fetchall()
        return [Delivery(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def _finish(self, delivery_id: str, status: str, error: str | None) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
                " updated_at = ? WHERE id = ?",
                (status, error, time.time(), delivery_id),
            )

    def dispatch(self, actions: Mapping[str, Action] | Iterable[Action]) -> dict[str, int]:
        """Run every pending delivery once with its action; returns counts by outcome.

        A delivery whose action raises :class:`DeliveryError` becomes a dead letter (the
        action did its own bounded retries); one whose action is unknown here stays
        pending for a process that has it.
        """
        by_name = dict(actions) if isinstance(actions, Mapping) else {a.name: a for a in actions}
        counts = {"delivered": 0, "dead": 0, "suppressed": 0, "skipped": 0}
        with self._dispatching:
            self._dispatch(by_name, counts)
        return counts

    def _dispatch(self, by_name: Mapping[str, Action], counts: dict[str, int]) -> None:
        for d in self.list("pending"):
            action = by_name.get(d.action)
            if action is None:
                counts["skipped"] += 1
                continue
            try:
                action.deliver(d.payload, d.id)
            except Suppressed as exc:
                self._finish(d.id, "suppressed", str(exc))
                counts["suppressed"] += 1
            except DeliveryError as exc:
                self._finish(d.id, "dead", str(exc))
                counts["dead"] += 1
            except Exception as exc:  # a user's callable or command failing is a dead letter
                self._finish(d.id, "dead", f"{type(exc).__name__}: {exc}")
                counts["dead"] += 1
            else:
                self._finish(d.id, "delivered", None)
                counts["delivered"] += 1

    def replay(self, ids: Iterable[str] | None = None) -> int:
        """Set dead letters (all, or those ids) back to pending; returns how many."""
        with self._lock:
            if ids is None:
                cur = self._conn.execute(
                    "UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'dead'",
                    (time.time(),),
                )
                return cur.rowcount
            n = 0
            for i in ids:
                cur = self._conn.execute(
                    "UPDATE outbox SET status = 'pending', updated_at = ?"
                    " WHERE status = 'dead' AND id = ?",
                    (time.time(), i),
                )
                n += cur.rowcount
            return n


class Dispatcher:
    """A background thread draining an outbox, so that monitors never wait on receivers."""

    def __init__(self, outbox: Outbox, actions: Iterable[Action], *, interval: float = 0.5):
        self.outbox = outbox
        self.actions = {a.name: a for a in actions}
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="driftline-dispatch", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Something was written: drain now."""
        self._idle.clear()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self.outbox.dispatch(self.actions)
            if not self._wake.is_set():
                self._idle.set()

    def wait_idle(self, timeout: float) -> bool:
        """Block until the queue was drained once since the last notify."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (pending deliveries stay in the outbox)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
