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

Several dispatchers (threads or processes) may drain one outbox: each claims a pending
row (``claimed_by``, ``lease_until``) before running its action, renews the claim while
the action runs, and records the outcome only while it still holds the claim, so a row is
run by one dispatcher at a time. A claim whose holder crashed expires after the lease (at
once on the same host, where the holder's process is seen to be gone) and the row is
delivered again, never lost.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftline.actions.base import Action, DeliveryError, Suppressed
from driftline.actions.claims import Heartbeat, claimer_id, holder_is_gone
from driftline.actions.payload import dumps
from driftline.policy_args import number

__all__ = ["Delivery", "Dispatcher", "Outbox"]

log = logging.getLogger("driftline.actions")

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
    updated_at REAL NOT NULL,
    claimed_by TEXT,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, created_at);
"""
# Added to outbox files written before claims existed (see Outbox._migrate).
_CLAIM_COLUMNS = (("claimed_by", "TEXT"), ("lease_until", "REAL"))


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


def _run_action(action: Action, d: Delivery) -> tuple[str, str | None]:
    """Deliver once; the row's new status and error."""
    try:
        action.deliver(d.payload, d.id)
    except Suppressed as exc:
        return "suppressed", str(exc)
    except DeliveryError as exc:
        return "dead", str(exc)
    except Exception as exc:  # a user's callable or command failing is a dead letter
        return "dead", f"{type(exc).__name__}: {exc}"
    except KeyboardInterrupt:
        # Ctrl-C reaches only the main thread: the person wants the dispatch to stop,
        # and the row stays pending. Raised by an action on another thread, it can only
        # be that action's own doing: a failure like any other.
        if threading.current_thread() is threading.main_thread():
            raise
        return "dead", "KeyboardInterrupt raised by the action"
    except BaseException as exc:
        # SystemExit from an action (an argparse-style main, parser.error) ends that
        # delivery, not the process nor the background dispatcher thread.
        return "dead", f"{type(exc).__name__}: {exc}"
    return "delivered", None


class Outbox:
    """The durable queue between decisions and actions.

    Parameters
    ----------
    path
        SQLite file (created with its folder); ``":memory:"`` for tests only.
    lease
        Seconds a dispatcher's claim on a row lasts without renewal (it is renewed every
        third of that while the action runs); after a crash on another host, the row is
        delivered again once the lease has run out.

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

    def __init__(self, path: str | Path, *, lease: float = 60.0) -> None:
        self.lease = number("Outbox", "lease", lease, low=0.0, low_open=True)
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._dispatching = threading.Lock()
        # One token per Outbox object: two objects on one file in one process are two
        # dispatchers and must not run each other's claimed rows.
        self._token = uuid.uuid4().hex
        self._conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Add the claim columns to an outbox written by an earlier driftline."""

        def missing() -> list[tuple[str, str]]:
            have = {r[1] for r in self._conn.execute("PRAGMA table_info(outbox)")}
            return [(c, t) for c, t in _CLAIM_COLUMNS if c not in have]

        if not missing():
            return
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            # Checked again under the write lock: another process may have just added them.
            for col, kind in missing():
                cur.execute(f"ALTER TABLE outbox ADD COLUMN {col} {kind}")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

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

    # -- claims ----------------------------------------------------------------------
    def _claim(self, delivery_id: str) -> str | None:
        """Claim a pending row for this dispatcher; the claimer id, or None when another
        dispatcher holds it (or it is no longer pending)."""
        me = claimer_id(self._token)
        now = time.time()
        with self._lock:
            cur = self._conn.execute(
                "UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id = ?"
                " AND status = 'pending' AND (claimed_by IS NULL OR lease_until IS NULL"
                " OR lease_until < ?)",
                (me, now + self.lease, delivery_id, now),
            )
            if cur.rowcount == 1:
                return me
            row = self._conn.execute(
                "SELECT claimed_by FROM outbox WHERE id = ? AND status = 'pending'",
                (delivery_id,),
            ).fetchone()
            if row is None or row[0] is None or not holder_is_gone(row[0]):
                return None
            # The holder died on this host (a restart after a crash): take over now,
            # only if nobody else did meanwhile.
            cur = self._conn.execute(
                "UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id = ?"
                " AND status = 'pending' AND claimed_by = ?",
                (me, time.time() + self.lease, delivery_id, row[0]),
            )
            return me if cur.rowcount == 1 else None

    def _renew(self, delivery_id: str, claim: str) -> None:
        try:
            with self._lock:
                self._conn.execute(
                    "UPDATE outbox SET lease_until = ? WHERE id = ? AND claimed_by = ?",
                    (time.time() + self.lease, delivery_id, claim),
                )
        except sqlite3.Error:  # a busy database: the next beat tries again
            log.warning("outbox %s: cannot renew the claim on %s", self.path, delivery_id)

    def _release(self, delivery_id: str, claim: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET claimed_by = NULL, lease_until = NULL"
                " WHERE id = ? AND claimed_by = ?",
                (delivery_id, claim),
            )

    def _finish(self, delivery_id: str, claim: str, status: str, error: str | None) -> bool:
        """Record an outcome if this dispatcher still holds the row's claim."""
        with self._lock:
            cur = self._conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?,"
                " updated_at = ?, claimed_by = NULL, lease_until = NULL"
                " WHERE id = ? AND status = 'pending' AND claimed_by = ?",
                (status, error, time.time(), delivery_id, claim),
            )
            return cur.rowcount == 1

    # -- dispatch --------------------------------------------------------------------
    def dispatch(self, actions: Mapping[str, Action] | Iterable[Action]) -> dict[str, int]:
        """Run every pending delivery once with its action; returns counts by outcome.

        A delivery whose action raises :class:`DeliveryError` (or any other exception,
        ``SystemExit`` included) becomes a dead letter (the action did its own bounded
        retries); one whose action is unknown here stays pending for a process that has
        it (``skipped``). Rows another dispatcher is delivering are left to it and not
        counted.
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
            claim = self._claim(d.id)
            if claim is None:
                continue
            finished = False
            try:
                with Heartbeat(functools.partial(self._renew, d.id, claim), self.lease / 3):
                    status, error = _run_action(action, d)
                finished = True
                if not self._finish(d.id, claim, status, error):
                    # Our lease ran out (the database was unreachable for a whole lease)
                    # and another dispatcher took the row: its outcome will be recorded.
                    log.warning(
                        "outbox %s: %s ended %s after its claim was lost; not recorded",
                        self.path,
                        d.id,
                        status,
                    )
                counts[status] += 1
            finally:
                if not finished:  # interrupted: leave the row to the next dispatch at once
                    self._release(d.id, claim)

    def replay(self, ids: Iterable[str] | None = None) -> int:
        """Set dead letters (all, or those ids) back to pending; returns how many."""
        reset = "status = 'pending', claimed_by = NULL, lease_until = NULL, updated_at = ?"
        with self._lock:
            if ids is None:
                cur = self._conn.execute(
                    f"UPDATE outbox SET {reset} WHERE status = 'dead'", (time.time(),)
                )
                return cur.rowcount
            n = 0
            for i in ids:
                cur = self._conn.execute(
                    f"UPDATE outbox SET {reset} WHERE status = 'dead' AND id = ?",
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
            try:
                self.outbox.dispatch(self.actions)
            except Exception:
                # A busy or broken database file: this thread is the only one delivering
                # the monitor's triggers, so it logs and tries again at the next interval
                # instead of ending silently. Not idle: nothing was drained.
                log.exception("outbox %s: dispatch failed; retrying", self.outbox.path)
                continue
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
