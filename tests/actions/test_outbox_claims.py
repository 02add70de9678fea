"""Several dispatchers on one outbox: each row is run by one of them at a time; a crashed
claimer's row is delivered again later, never lost; outbox files from before claims keep
working; an action ending in SystemExit is a dead letter, not the end of the dispatcher."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import driftline
from driftline.actions import Call, Dispatcher, Outbox

# The children import the driftline this test runs against.
PYTHONPATH = str(Path(driftline.__file__).resolve().parents[1])

# A dispatcher in another process whose action announces it started, then waits (bounded)
# until the test lets it finish.
HOLDER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from driftline.actions import Call, Outbox
    path, started, release, log = sys.argv[1:5]
    def act(payload):
        with open(log, "a") as f:
            f.write(f"holder {payload['n']}\\n")
        Path(started).touch()
        end = time.monotonic() + 30
        while not Path(release).exists() and time.monotonic() < end:
            time.sleep(0.01)
    print(Outbox(path).dispatch([Call(act, name="act")]), flush=True)
    """
)


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    end = time.monotonic() + 30
    while not path.exists():
        assert proc.poll() is None and time.monotonic() < end, "holder never started"
        time.sleep(0.01)


@pytest.mark.timeout(60)
def test_a_row_held_by_another_process_is_not_delivered_twice(tmp_path: Path) -> None:
    db, log = tmp_path / "o.db", tmp_path / "calls.log"
    started, release = tmp_path / "started", tmp_path / "release"
    box = Outbox(db)
    box.put("t1", {"n": 1}, ["act"])
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(started), str(release), str(log)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_for(started, holder)
        # Row t1 is being delivered by the other process; t2 is new and free.
        box.put("t2", {"n": 2}, ["act"])

        def act(payload: dict[str, Any]) -> None:
            with open(log, "a") as f:
                f.write(f"here {payload['n']}\n")

        counts = box.dispatch([Call(act, name="act")])
    finally:
        release.touch()
        out, _ = holder.communicate(timeout=30)
    assert sorted(log.read_text().splitlines()) == ["here 2", "holder 1"]
    assert counts == {"delivered": 1, "dead": 0, "suppressed": 0, "skipped": 0}
    assert "'delivered': 1" in out
    assert [(d.payload["n"], d.status, d.attempts) for d in box.list()] == [
        (1, "delivered", 1),
        (2, "delivered", 1),
    ]


def test_two_outboxes_in_one_process_share_rows(tmp_path: Path) -> None:
    first, second = Outbox(tmp_path / "o.db"), Outbox(tmp_path / "o.db")
    first.put("t1", {"policy": "drift"}, ["act"])
    inside, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(payload: dict[str, Any]) -> None:
        calls.append("first")
        inside.set()
        release.wait(30)

    t = threading.Thread(target=first.dispatch, args=([Call(slow, name="act")],))
    t.start()
    try:
        assert inside.wait(30)
        got = second.dispatch([Call(lambda p: calls.append("second"), name="act")])
    finally:
        release.set()
        t.join(30)
    assert calls == ["first"]
    assert got == {"delivered": 0, "dead": 0, "suppressed": 0, "skipped": 0}
    assert [(d.status, d.attempts) for d in second.list()] == [("delivered", 1)]


def _claim(db: Path, claimed_by: str, lease_until: float) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE outbox SET claimed_by = ?, lease_until = ?", (claimed_by, lease_until))


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait(30)
    return p.pid


@pytest.mark.parametrize(
    ("claimer", "lease_left", "delivered"),
    [
        ("elsewhere:4242:tok", -1.0, True),  # expired: its holder crashed or hangs
        ("elsewhere:4242:tok", 3600.0, False),  # live on another host: left to it
        ("here-dead", 3600.0, True),  # this host, process gone: taken over at once
        ("here-alive", 3600.0, False),  # this host, process alive: left to it
    ],
)
def test_claims_of_other_dispatchers(
    tmp_path: Path, claimer: str, lease_left: float, delivered: bool
) -> None:
    box = Outbox(tmp_path / "o.db")
    box.put("t1", {"policy": "drift"}, ["act"])
    if claimer.startswith("here"):
        # A claim as another process of this host writes it: <host>:<pid>:<token>.
        from driftline.actions.claims import claimer_id

        host = claimer_id("tok").rsplit(":", 2)[0]
        pid = _dead_pid() if claimer == "here-dead" else os.getppid()
        claimer = f"{host}:{pid}:tok"
    _claim(tmp_path / "o.db", claimer, time.time() + lease_left)
    seen: list[dict[str, Any]] = []
    box.dispatch([Call(seen.append, name="act")])
    (d,) = box.list()
    if delivered:
        assert seen == [{"policy": "drift"}] and d.status == "delivered"
    else:
        assert seen == [] and d.status == "pending"  # kept, for later: never lost


def test_outcome_not_recorded_after_the_claim_was_taken(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    box = Outbox(db)
    box.put("t1", {"policy": "drift"}, ["act"])

    def stolen(payload: dict[str, Any]) -> None:
        # While this runs, another dispatcher takes the row (our lease ran out).
        _claim(db, "elsewhere:1:other", time.time() + 3600)

    box.dispatch([Call(stolen, name="act")])
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT status, attempts, claimed_by FROM outbox").fetchone()
    assert row == ("pending", 0, "elsewhere:1:other")


def test_claim_is_renewed_while_the_action_runs(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    box = Outbox(db, lease=0.3)
    box.put("t1", {"policy": "drift"}, ["act"])
    leases: list[float] = []

    def read_lease() -> float:
        with sqlite3.connect(db) as conn:
            return float(conn.execute("SELECT lease_until FROM outbox").fetchone()[0])

    def long_action(payload: dict[str, Any]) -> None:
        leases.append(read_lease())
        end = time.monotonic() + 30
        while read_lease() == leases[0] and time.monotonic() < end:
            time.sleep(0.01)
        leases.append(read_lease())

    assert box.dispatch([Call(long_action, name="act")])["delivered"] == 1
    assert leases[1] > leases[0]


def test_outbox_file_from_before_claims_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # the schema outbox files had before claims
        conn.executescript(
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY, action TEXT NOT NULL, trigger_id TEXT NOT NULL,
                payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                created_at REAL NOT NULL, updated_at REAL NOT NULL
            );
            INSERT INTO outbox VALUES ('msg_old', 'act', 't0', '{"policy": "drift"}',
                                       'pending', 0, NULL, 1.0, 1.0);
            """
        )
    seen: list[dict[str, Any]] = []
    box = Outbox(db)
    Outbox(db)  # a second opener finds the columns already there
    assert box.dispatch([Call(seen.append, name="act")])["delivered"] == 1
    assert seen == [{"policy": "drift"}]
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(outbox)")]
    assert cols[-2:] == ["claimed_by", "lease_until"]


def _exits(payload: dict[str, Any]) -> None:
    sys.exit(2)  # an argparse-style main reused as an action


def test_system_exit_is_a_dead_letter(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    seen: list[dict[str, Any]] = []
    box.put("t1", {"policy": "drift"}, ["exits", "ok"])
    counts = box.dispatch([Call(_exits, name="exits"), Call(seen.append, name="ok")])
    assert counts == {"delivered": 1, "dead": 1, "suppressed": 0, "skipped": 0}
    assert seen == [{"policy": "drift"}]
    (dead,) = box.list("dead")
    assert dead.action == "exits" and dead.last_error == "SystemExit: 2"


@pytest.mark.timeout(60)
def test_dispatcher_survives_system_exit_and_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    box = Outbox(tmp_path / "o.db")
    seen: list[dict[str, Any]] = []
    dispatcher = Dispatcher(box, [Call(_exits, name="exits"), Call(seen.append, name="ok")])
    try:
        box.put("t1", {"n": 1}, ["exits", "ok"])
        dispatcher.notify()
        assert dispatcher.wait_idle(30)
        # A failing database call is logged, and the next round still delivers.
        real, failures = box.dispatch, [RuntimeError("database is locked")]

        def flaky(actions: Any) -> dict[str, int]:
            if failures:
                raise failures.pop()
            return real(actions)

        box.dispatch = flaky  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR, logger="driftline.actions"):
            box.put("t2", {"n": 2}, ["exits", "ok"])
            dispatcher.notify()
            end = time.monotonic() + 30
            while len(seen) < 2 and time.monotonic() < end:
                time.sleep(0.01)
        assert dispatcher._thread.is_alive()
    finally:
        dispatcher.stop()
    assert seen == [{"n": 1}, {"n": 2}]
    assert sorted((d.action, d.status) for d in box.list()) == [
        ("exits", "dead"),
        ("exits", "dead"),
        ("ok", "delivered"),
        ("ok", "delivered"),
    ]
    assert "database is locked" in caplog.text
