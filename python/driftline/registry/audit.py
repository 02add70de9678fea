"""The tamper-evident audit trail: a hash chain appended in the writer's transaction.

Each event's hash is ``sha256(prev_hash + "\\n" + canonical_json(event))`` where the event
holds its sequence number, time, actor, action, target, and the before and after states as
stored. Database triggers refuse UPDATE and DELETE on the table, and appends happen inside
the serialised write transaction, so the chain never forks. :meth:`Audit.verify` walks the
chain and names every event that was modified, deleted, inserted or reordered; a signed
checkpoint (:mod:`driftline.registry.checkpoint`) also catches a chain rewritten end to end
or a truncated tail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import DecodeError, InvalidParameter
from driftline.registry import checkpoint as _checkpoint
from driftline.registry.jsonutil import canonical, loads, now
from driftline.registry.records import AuditEvent
from driftline.registry.schema import audit_events

if TYPE_CHECKING:
    from driftline.registry.db import Database

__all__ = ["GENESIS", "Audit", "AuditVerification", "append", "event_hash"]

GENESIS = "0" * 64
_BATCH = 5000


def event_hash(
    prev_hash: str,
    seq: int,
    ts: str,
    actor: str,
    action: str,
    target: str,
    before_json: str | None,
    after_json: str | None,
) -> str:
    """The hash of one event given its predecessor's hash."""
    body = canonical(
        {
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "action": action,
            "target": target,
            "before": before_json,
            "after": after_json,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one event in the caller's write transaction and return its sequence number."""
    head = conn.execute(
        sa.select(audit_events.c.seq, audit_events.c.hash)
        .order_by(audit_events.c.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
    ts = now()
    before_json = None if before is None else canonical(before)
    after_json = None if after is None else canonical(after)
    digest = event_hash(prev, seq, ts, actor, action, target, before_json, after_json)
    conn.execute(
        audit_events.insert().values(
            seq=seq,
            ts=ts,
            actor=actor,
            action=action,
            target=target,
            before_json=before_json,
            after_json=after_json,
            prev_hash=prev,
            hash=digest,
        )
    )
    return seq


def _to_event(row: Any) -> AuditEvent:
    try:
        before, after = loads(row.before_json), loads(row.after_json)
    except (TypeError, ValueError) as exc:
        # Only a row edited behind the registry's back gets here: name it, as verify() does.
        raise DecodeError(
            f"{_describe(row)}: its before/after state is not JSON text ({exc}); "
            "run the audit verification"
        ) from None
    return AuditEvent(
        seq=row.seq,
        ts=row.ts,
        actor=row.actor,
        action=row.action,
        target=row.target,
        before=before,
        after=after,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _check_seq_option(value: Any, name: str, *, allow_none: bool = False) -> None:
    # A string here is compared with the integer column in SQL and silently matches
    # nothing (SQLite sorts text after every number), so refuse it up front.
    if value is None and allow_none:
        return
    if not _is_int(value) or value < 0:
        raise InvalidParameter(
            f"{name} must be a non-negative integer (an event sequence number), got {value!r}"
        )


_TEXT_COLUMNS = ("ts", "actor", "action", "target", "prev_hash", "hash")
_JSON_COLUMNS = ("before_json", "after_json")


def _malformed(row: Any) -> list[str]:
    """What is wrong with the types of a row's columns (empty for a well-formed row).

    The registry only ever writes integers and text, but SQLite stores whatever an
    attacker writes with raw SQL (text in the integer column, blobs anywhere), and the
    hash and sequence checks must not trip over those values.
    """
    found: list[str] = []
    if not _is_int(row.seq):
        found.append(f"sequence number {row.seq!r} is not an integer")
    elif row.seq <= 0:
        found.append(f"sequence number {row.seq} is out of range (the chain starts at 1)")
    for name in _TEXT_COLUMNS:
        value = getattr(row, name)
        if not isinstance(value, str):
            found.append(f"{name} is {type(value).__name__}, not text")
    for name in _JSON_COLUMNS:
        value = getattr(row, name)
        if value is not None and not isinstance(value, str):
            found.append(f"{name} is {type(value).__name__}, not JSON text")
    return found


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of :meth:`Audit.verify`.

    Attributes
    ----------
    ok
        True when no problem was found.
    events
        How many events were checked.
    head_seq, head_hash
        The last event's sequence number and hash (0 and the genesis hash when empty).
    problems
        One sentence per problem, each naming the event (``event 17 (approve ...)``).
    bad_events
        The sequence numbers the problems point at.
    """

    ok: bool
    events: int
    head_seq: int
    head_hash: str
    problems: list[str] = field(default_factory=list)
    bad_events: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict[str, Any]:
        """The verification as a JSON-ready dict."""
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": list(self.problems),
            "bad_events": list(self.bad_events),
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(row: Any) -> str:
    # repr for a tampered, non-integer sequence number, so "event '7x'" reads as such.
    seq = row.seq if _is_int(row.seq) else repr(row.seq)
    return f"event {seq} ({row.action} {row.target!r} by {row.actor!r} at {row.ts})"


class Audit:
    """Read, verify and export the audit trail of one registry (``reg.audit``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _rows(self, conn: Connection, since: int | None = 0) -> Iterator[Any]:
        """Rows in sequence order, after ``since`` (None: every row, even seq <= 0)."""
        last: Any = since
        while True:
            query = sa.select(audit_events).order_by(audit_events.c.seq).limit(_BATCH)
            if last is not None:
                query = query.where(audit_events.c.seq > last)
            rows = conn.execute(query).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].seq

    def events(self, *, since: int = 0, limit: int | None = None) -> list[AuditEvent]:
        """Events after sequence number ``since``, oldest first.

        Raises
        ------
        InvalidParameter
            ``since`` or ``limit`` is not a non-negative integer.
        DecodeError
            A stored event was edited into something that is not JSON.
        """
        _check_seq_option(since, "since")
        _check_seq_option(limit, "limit", allow_none=True)

        def run(conn: Connection) -> list[AuditEvent]:
            query = (
                sa.select(audit_events)
                .where(audit_events.c.seq > since)
                .order_by(audit_events.c.seq)
            )
            if limit is not None:
                query = query.limit(limit)
            return [_to_event(row) for row in conn.execute(query)]

        return self._db.read(run)

    def verify(
        self,
        *,
        checkpoint: _checkpoint.Checkpoint | None = None,
        public_key: Any = None,
    ) -> AuditVerification:
        """Walk the chain and report every event that does not fit.

        Parameters
        ----------
        checkpoint
            A checkpoint saved earlier (:meth:`checkpoint`, ``driftline audit export``).
            When given, the chain must still hold the checkpointed event with the same
            hash: this catches a chain rewritten from the start and a truncated tail.
        public_key
            The Ed25519 public key (object, PEM bytes or a :class:`pathlib.Path`) the
            checkpoint's signature is checked against; required with ``checkpoint``.

        Returns
        -------
        AuditVerification
            ``ok`` plus a list of problems naming the events.

        Examples
        --------
        >>> import driftline as dl
        >>> reg = dl.Registry("sqlite://")
        >>> _ = reg.bootstrap("root")
        >>> reg.audit.verify().ok
        True
        """
        return self._db.read(lambda conn: self._verify(conn, checkpoint, public_key))

    def _verify(
        self,
        conn: Connection,
        checkpoint: _checkpoint.Checkpoint | None,
        public_key: Any,
    ) -> AuditVerification:
        problems: list[str] = []
        bad: list[int] = []
        prev_hash = GENESIS
        expected = 1
        count = 0
        hashes_at: dict[int, str] = {}
        want = checkpoint.seq if checkpoint is not None else None
        # Every row, even those an attacker numbered 0 or below, which "after 0" would skip.
        for row in self._rows(conn, None):
            count += 1
            malformed = _malformed(row)
            if malformed:
                problems.append(f"{_describe(row)}: malformed row: {'; '.join(malformed)}")
                if _is_int(row.seq):
                    bad.append(row.seq)
                if not (_is_int(row.seq) and row.seq > 0):
                    # Outside the numbered chain: keep checking the events around it
                    # against each other, not against this row.
                    continue
            if row.seq != expected:
                if row.seq > expected:
                    gap = (
                        f"event {expected}"
                        if row.seq == expected + 1
                        else f"events {expected}..{row.seq - 1}"
                    )
                    problems.append(f"{gap} missing: deleted before {_describe(row)}")
                    bad.append(expected)
                expected = row.seq
            if row.prev_hash != prev_hash:
                problems.append(
                    f"{_describe(row)}: its link does not match the hash of the event "
                    "before it (an event was deleted, inserted or reordered)"
                )
                bad.append(row.seq)
            if not malformed:
                digest = event_hash(
                    row.prev_hash,
                    row.seq,
                    row.ts,
                    row.actor,
                    row.action,
                    row.target,
                    row.before_json,
                    row.after_json,
                )
                if digest != row.hash:
                    problems.append(f"{_describe(row)}: contents modified (hash mismatch)")
                    bad.append(row.seq)
            if want is not None and row.seq == want:
                hashes_at[want] = row.hash
            prev_hash = row.hash if isinstance(row.hash, str) else prev_hash
            expected = row.seq + 1
        head_seq = expected - 1
        if checkpoint is not None:
            problems.extend(_checkpoint.check_against(checkpoint, public_key, head_seq, hashes_at))
        return AuditVerification(
            ok=not problems,
            events=count,
            head_seq=head_seq,
            head_hash=prev_hash,
            problems=problems,
            bad_events=sorted(set(bad)),
        )

    def checkpoint(self, private_key: Any) -> _checkpoint.Checkpoint:
        """Sign the current head with an Ed25519 private key kept outside the database.

        Parameters
        ----------
        private_key
            An ``Ed25519PrivateKey``, PEM bytes, or a :class:`pathlib.Path` to a PEM file.
        """
        head = self._db.read(
            lambda conn: conn.execute(
                sa.select(audit_events.c.seq, audit_events.c.hash)
                .order_by(audit_events.c.seq.desc())
                .limit(1)
            ).first()
        )
        seq, digest = (0, GENESIS) if head is None else (head.seq, head.hash)
        return _checkpoint.sign(seq, digest, private_key)

    def export(self, out: IO[str], *, private_key: Any = None, since: int = 0) -> int:
        """Write events as JSON lines, then a signed checkpoint line when a key is given.

        The events and the checkpoint come from one snapshot. Returns the number of events.

        Raises
        ------
        InvalidParameter
            ``since`` is not a non-negative integer, or the key cannot be read.
        """
        _check_seq_option(since, "since")

        def run(conn: Connection) -> int:
            count = 0
            head_seq, head_hash = since, GENESIS
            for row in self._rows(conn, since):
                event = _to_event(row).to_dict()
                out.write(canonical({"event": event}) + "\n")
                head_seq, head_hash = row.seq, row.hash
                count += 1
            if private_key is not None:
                if count == 0 and since:
                    head = conn.execute(
                        sa.select(audit_events.c.seq, audit_events.c.hash)
                        .order_by(audit_events.c.seq.desc())
                        .limit(1)
                    ).first()
                    if head is not None:
                        head_seq, head_hash = head.seq, head.hash
                cp = _checkpoint.sign(head_seq, head_hash, private_key)
                out.write(canonical({"checkpoint": cp.to_dict()}) + "\n")
            return count

        return self._db.read(run)
