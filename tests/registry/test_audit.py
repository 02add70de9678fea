"""The audit trail: every mutation and denial, append-only, verified, checkpointed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from registry_helpers import CHECKSUM, disable_audit_triggers, raw_engine

import driftline as dl
from driftline.exceptions import InvalidParameter, PermissionDenied
from driftline.registry import generate_key, read_checkpoint
from driftline.registry.checkpoint import load_private_key


def _history(reg: dl.Registry, people) -> None:
    p = people
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    p.carol.transition("m", 1, "staging")
    p.alice.approve("m", 1)
    p.carol.promote("m", 1)
    with pytest.raises(PermissionDenied):
        p.victor.create_model("nope")


def test_every_mutation_and_denial_is_recorded(reg: dl.Registry, people) -> None:
    _history(reg, people)
    events = reg.audit.events()
    actions = [(e.actor, e.action, e.target) for e in events]
    assert ("carol", "model.create", "model:m") in actions
    assert ("carol", "version.register", "version:m/1") in actions
    assert ("alice", "approve", "version:m/1") in actions
    assert actions[-1] == ("victor", "denied", "model:nope")
    promote = [e for e in events if e.action == "transition"][-1]
    assert promote.before["stage"] == "staging" and promote.after["stage"] == "production"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.ts.endswith("Z") for e in events)
    result = reg.audit.verify()
    assert result.ok and result.events == len(events) and result.head_hash == events[-1].hash


def test_database_refuses_update_and_delete(reg: dl.Registry, people) -> None:
    _history(reg, people)
    for statement in (
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 2",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), raw_engine(reg).begin() as c:
            c.exec_driver_sql(statement)
    if reg.dialect == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), raw_engine(reg).begin() as c:
            c.exec_driver_sql("TRUNCATE audit_events")
    assert reg.audit.verify().ok


def _tamper(reg: dl.Registry, *statements: str) -> None:
    disable_audit_triggers(reg)
    with raw_engine(reg).begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def test_edited_row_is_named(reg: dl.Registry, people) -> None:
    _history(reg, people)
    seq = next(e.seq for e in reg.audit.events() if e.action == "approve")
    _tamper(reg, f"UPDATE audit_events SET actor = 'bob' WHERE seq = {seq}")
    result = reg.audit.verify()
    assert not result.ok
    assert result.bad_events == [seq]
    assert f"event {seq} (approve 'version:m/1' by 'bob'" in result.problems[0]
    assert "modified" in result.problems[0]


def test_edited_before_after_is_detected(reg: dl.Registry, people) -> None:
    _history(reg, people)
    _tamper(reg, 'UPDATE audit_events SET after_json = \'{"stage":"staging"}\' WHERE seq = 3')
    assert reg.audit.verify().bad_events == [3]


def test_deleted_event_is_named(reg: dl.Registry, people) -> None:
    _history(reg, people)
    _tamper(reg, "DELETE FROM audit_events WHERE seq = 4")
    result = reg.audit.verify()
    assert not result.ok
    assert "event 4 missing" in result.problems[0]
    assert 4 in result.bad_events


def test_reordered_events_are_detected(reg: dl.Registry, people) -> None:
    _history(reg, people)
    # Swap the contents of events 3 and 4, keeping their sequence numbers.
    cols = "ts, actor, action, target, before_json, after_json, prev_hash, hash"
    with raw_engine(reg).connect() as conn:
        three = conn.exec_driver_sql(f"SELECT {cols} FROM audit_events WHERE seq = 3").one()
        four = conn.exec_driver_sql(f"SELECT {cols} FROM audit_events WHERE seq = 4").one()
    sets = [
        ", ".join(f"{c} = :{c}" for c in cols.split(", ")),
    ]
    disable_audit_triggers(reg)
    with raw_engine(reg).begin() as conn:
        conn.execute(sa.text(f"UPDATE audit_events SET {sets[0]} WHERE seq = 3"), four._asdict())
        conn.execute(sa.text(f"UPDATE audit_events SET {sets[0]} WHERE seq = 4"), three._asdict())
    result = reg.audit.verify()
    assert not result.ok and 3 in result.bad_events


def test_inserted_event_is_detected(reg: dl.Registry, people) -> None:
    _history(reg, people)
    head = reg.audit.events()[-1]
    _tamper(
        reg,
        "INSERT INTO audit_events (seq, ts, actor, action, target, before_json, after_json, "
        f"prev_hash, hash) VALUES ({head.seq + 1}, '2030-01-01T00:00:00.000000Z', 'root', "
        f"'approve', 'version:m/1', NULL, NULL, '{head.hash}', '{'0' * 64}')",
    )
    result = reg.audit.verify()
    assert result.bad_events == [head.seq + 1]


def test_checkpoint_catches_rewrite_and_truncation(
    reg: dl.Registry, people, tmp_path: Path
) -> None:
    _history(reg, people)
    key_path = tmp_path / "audit.pem"
    public = generate_key(key_path)
    assert (key_path.stat().st_mode & 0o777) == 0o600
    out = io.StringIO()
    count = reg.audit.export(out, private_key=key_path)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == count + 1 and "checkpoint" in lines[-1]
    assert [line["event"]["seq"] for line in lines[:-1]] == list(range(1, count + 1))
    export_file = tmp_path / "audit.jsonl"
    export_file.write_text(out.getvalue(), encoding="utf-8")
    cp = read_checkpoint(export_file)
    assert cp.seq == count
    assert reg.audit.verify(checkpoint=cp, public_key=public).ok
    assert reg.audit.verify(checkpoint=cp, public_key=tmp_path / "audit.pem.pub").ok

    # A forged checkpoint (wrong key) is refused.
    other = tmp_path / "other.pem"
    generate_key(other)
    forged = reg.audit.checkpoint(other)
    assert "signature invalid" in reg.audit.verify(checkpoint=forged, public_key=public).problems[0]

    # A truncated tail verifies on its own but not against the checkpoint.
    _tamper(reg, f"DELETE FROM audit_events WHERE seq = {count}")
    assert reg.audit.verify().ok
    problems = reg.audit.verify(checkpoint=cp, public_key=public).problems
    assert "truncated" in problems[0]

    with pytest.raises(InvalidParameter):
        reg.audit.verify(checkpoint=cp)


def test_checkpoint_catches_a_recomputed_chain(reg: dl.Registry, people, tmp_path: Path) -> None:
    """An attacker who edits an event and recomputes every later hash passes the plain
    verification; the signed checkpoint still catches it."""
    from driftline.registry.audit import GENESIS, event_hash

    _history(reg, people)
    key = load_private_key(_key_bytes(tmp_path))
    cp = reg.audit.checkpoint(key)
    disable_audit_triggers(reg)
    with raw_engine(reg).begin() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM audit_events ORDER BY seq").all()
        prev = GENESIS
        for row in rows:
            actor = "bob" if row.action == "approve" else row.actor
            digest = event_hash(
                prev,
                row.seq,
                row.ts,
                actor,
                row.action,
                row.target,
                row.before_json,
                row.after_json,
            )
            conn.execute(
                sa.text("UPDATE audit_events SET actor=:a, prev_hash=:p, hash=:h WHERE seq=:s"),
                {"a": actor, "p": prev, "h": digest, "s": row.seq},
            )
            prev = digest
    assert reg.audit.verify().ok  # the limit of a bare hash chain
    problems = reg.audit.verify(checkpoint=cp, public_key=key.public_key()).problems
    assert "rewritten" in problems[0]


def _key_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "k.pem"
    generate_key(path)
    return path.read_bytes()


def test_export_since(reg: dl.Registry, people) -> None:
    _history(reg, people)
    out = io.StringIO()
    assert reg.audit.export(out, since=3) == len(reg.audit.events()) - 3
