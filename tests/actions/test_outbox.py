"""The durable outbox: atomic writes, dead letters, replay, idempotency, SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from webhook_receiver import SECRET, Receiver

from driftline.actions import Call, Command, Log, Outbox, Webhook
from driftline.actions.base import Suppressed

ROOT = Path(__file__).resolve().parents[2]


def test_put_is_idempotent(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    assert box.put("t1", {"a": 1}, ["x", "y"]) == 2
    assert box.put("t1", {"a": 1}, ["x", "y"]) == 0
    ids = [d.id for d in box.list()]
    assert len(set(ids)) == 2 and all(i.startswith("msg_") for i in ids)
    # the same decision in a fresh process gets the same ids
    assert [d.id for d in Outbox(tmp_path / "o.db").list()] == ids


def test_dead_letter_and_replay(tmp_path: Path, receiver: Receiver) -> None:
    box = Outbox(tmp_path / "o.db")
    box.put("t1", {"policy": "drift"}, ["hook"])
    hook = Webhook(
        receiver.url, secret=SECRET, name="hook", allow_loopback=True, max_attempts=2, backoff=0.01
    )
    receiver.script = [(500, {}, 0.0)] * 2
    assert box.dispatch([hook])["dead"] == 1
    (dead,) = box.list("dead")
    assert "500" in (dead.last_error or "")
    assert box.replay() == 1
    assert box.dispatch([hook])["delivered"] == 1
    assert receiver.delivered == {dead.id: 1}
    assert box.list("delivered")[0].attempts == 2


def test_actions_outcomes(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    seen: list[dict[str, Any]] = []

    def boom(payload: dict[str, Any]) -> None:
        raise RuntimeError("nope")

    def suppressed(payload: dict[str, Any]) -> None:
        raise Suppressed("model suspended")

    out = tmp_path / "cmd.json"
    cmd = Command(
        [sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"]
    )
    actions = [
        Call(seen.append, name="ok"),
        Call(boom, name="boom"),
        Call(suppressed, name="sus"),
        cmd,
        Log(),
    ]
    box.put("t1", {"policy": "p"}, [a.name for a in actions] + ["unknown"])
    counts = box.dispatch(actions)
    assert counts == {"delivered": 3, "dead": 1, "suppressed": 1, "skipped": 1}
    assert seen == [{"policy": "p"}]
    assert '"policy": "p"' in out.read_text()
    assert [d.action for d in box.list("dead")] == ["boom"]
    assert len(box.list("pending")) == 1  # kept for a process that has the action


def test_failing_command_is_dead(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    box.put("t", {}, ["c"])
    assert (
        box.dispatch([Command([sys.executable, "-c", "raise SystemExit(3)"], name="c")])["dead"]
        == 1
    )


CHILD = textwrap.dedent(
    """
    import sys, time
    from driftline.actions import Outbox, Webhook
    path, url, secret, mode = sys.argv[1:5]
    box = Outbox(path)
    box.put("trigger-1", {"policy": "drift", "window": "w1"}, ["hook"])
    print("decided", flush=True)
    if mode == "decide-only":
        time.sleep(60)
    hook = Webhook(url, secret=secret, name="hook", allow_loopback=True, backoff=0.01)
    print(box.dispatch([hook]), flush=True)
    """
)


def _child(tmp_path: Path, receiver: Receiver, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "o.db"), receiver.url, SECRET, mode],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_line(p: subprocess.Popen[str], text: str) -> None:
    assert p.stdout is not None
    line = p.stdout.readline()
    assert text in line, line


@pytest.mark.timeout(60)
def test_sigkill_after_decision_before_dispatch(tmp_path: Path, receiver: Receiver) -> None:
    p = _child(tmp_path, receiver, "decide-only")
    _wait_line(p, "decided")
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    p.stdout.close()  # type: ignore[union-attr]
    assert receiver.requests == []
    # restart: the same decision again, then dispatch
    q = _child(tmp_path, receiver, "full")
    _wait_line(q, "decided")
    assert q.wait(30) == 0
    q.stdout.close()  # type: ignore[union-attr]
    assert len(receiver.delivered) == 1 and list(receiver.delivered.values()) == [1]


@pytest.mark.timeout(60)
def test_sigkill_mid_delivery(tmp_path: Path, receiver: Receiver) -> None:
    receiver.script = [(200, {}, 2.0)]  # the first request hangs while the sender dies
    p = _child(tmp_path, receiver, "full")
    _wait_line(p, "decided")
    deadline = time.monotonic() + 10
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    p.stdout.close()  # type: ignore[union-attr]
    q = _child(tmp_path, receiver, "full")
    assert q.wait(30) == 0
    q.stdout.close()  # type: ignore[union-attr]
    time.sleep(2.2)  # let the first, orphaned request finish on the receiver
    ids = {r["id"] for r in receiver.requests}
    assert len(ids) == 1  # the same idempotency key both times
    assert receiver.unique_ids() == ids  # delivered, and counted once by id
    assert Outbox(tmp_path / "o.db").list("delivered")[0].id in ids
