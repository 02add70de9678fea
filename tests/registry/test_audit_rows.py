"""Audit rows tampered into the wrong types or numbering are reported, never crash verify."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_helpers import CHECKSUM, disable_audit_triggers, raw_engine

import driftline as dl
from driftline.exceptions import DecodeError, InvalidParameter


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    # The tampering below writes values of the wrong type, which only SQLite stores.
    yield f"sqlite:///{tmp_path / 'registry.db'}"


def _history(reg: dl.Registry, people) -> None:
    people.carol.create_model("m")
    people.carol.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    people.carol.transition("m", 1, "staging")
    people.alice.approve("m", 1)
    people.carol.promote("m", 1)
    assert reg.audit.events()[-1].seq >= 8


def _tamper(reg: dl.Registry, statement: str) -> None:
    disable_audit_triggers(reg)
    with raw_engine(reg).begin() as conn:
        conn.exec_driver_sql(statement)


def test_text_sequence_number_is_reported(reg: dl.Registry, people) -> None:
    _history(reg, people)
    _tamper(reg, "UPDATE audit_events SET seq = '7x' WHERE seq = 7")
    result = reg.audit.verify()
    assert not result.ok
    assert any("event '7x' (" in p and "not an integer" in p for p in result.problems)
    assert any(p.startswith("event 7 missing") for p in result.problems)
    assert 7 in result.bad_events


def test_blob_state_is_reported_naming_the_event(reg: dl.Registry, people) -> None:
    _history(reg, people)
    _tamper(reg, "UPDATE audit_events SET before_json = X'FF' WHERE seq = 4")
    result = reg.audit.verify()
    assert not result.ok
    assert result.bad_events == [4]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("event 4 (")
    assert "before_json is bytes" in result.problems[0]
    with pytest.raises(DecodeError, match=r"event 4 \("):
        reg.audit.events()


@pytest.mark.parametrize("seq", [0, -3])
def test_row_numbered_below_one_is_flagged(reg: dl.Registry, people, seq: int) -> None:
    _history(reg, people)
    first = reg.audit.events()[0]
    _tamper(
        reg,
        "INSERT INTO audit_events (seq, ts, actor, action, target, before_json, after_json, "
        f"prev_hash, hash) VALUES ({seq}, '2020-01-01T00:00:00.000000Z', 'root', "
        f"'approve', 'version:m/1', NULL, NULL, '{'0' * 64}', '{first.prev_hash}')",
    )
    result = reg.audit.verify()
    assert not result.ok
    assert result.bad_events == [seq]
    assert result.problems == [
        f"event {seq} (approve 'version:m/1' by 'root' at 2020-01-01T00:00:00.000000Z): "
        f"malformed row: sequence number {seq} is out of range (the chain starts at 1)"
    ]
    assert result.events == len(reg.audit.events()) + 1


@pytest.mark.parametrize("since", ["x", "3", 1.5, -1, True, None])
def test_events_refuses_a_since_that_is_not_a_sequence_number(
    reg: dl.Registry, people, since: object
) -> None:
    _history(reg, people)
    with pytest.raises(InvalidParameter, match="since must be a non-negative integer"):
        reg.audit.events(since=since)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="since must be a non-negative integer"):
        reg.audit.export(io.StringIO(), since=since)  # type: ignore[arg-type]


def test_events_refuses_a_bad_limit(reg: dl.Registry, people) -> None:
    _history(reg, people)
    with pytest.raises(InvalidParameter, match="limit"):
        reg.audit.events(limit="5")  # type: ignore[arg-type]
    assert [e.seq for e in reg.audit.events(since=2, limit=2)] == [3, 4]
