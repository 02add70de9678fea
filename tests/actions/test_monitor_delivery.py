"""Triggers from a monitor to a real receiver: retries, a receiver that never answers,
a monitor process killed between decision and dispatch, Prometheus export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from webhook_receiver import SECRET, Receiver

import driftline as dl

ROOT = Path(__file__).resolve().parents[2]


def tables(seed: int = 0) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    ref = pa.table({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000)})
    cur = pa.table({"x": rng.normal(1, 1, 1000), "y": rng.normal(0, 1, 1000)})
    return ref, cur


def hook(url: str, **kw: Any) -> dl.actions.Webhook:
    kw.setdefault("backoff", 0.01)
    return dl.actions.Webhook(url, secret=SECRET, name="hook", allow_loopback=True, **kw)


def test_500_three_times_then_delivered_once(receiver: Receiver) -> None:
    receiver.script = [(500, {}, 0.0)] * 3
    ref, cur = tables()
    with dl.Monitor(
        ref, window=1000, policies=[dl.policies.Drift()], actions=[hook(receiver.url)]
    ) as mon:
        mon.observe(cur)
        assert mon.flush(30)
        assert receiver.wait_for(1)
    assert len(receiver.requests) == 4
    assert len({r["id"] for r in receiver.requests}) == 1
    assert all(r["signature_ok"] for r in receiver.requests)
    assert list(receiver.delivered.values()) == [1]
    body = receiver.requests[-1]["body"]["data"]
    assert body["policy"] == "drift" and body["details"]["drifted"] == ["x"]


def test_silent_receiver_does_not_block(receiver: Receiver) -> None:
    receiver.script = [(200, {}, 5.0)] * 10  # never answers within the timeout
    ref, cur = tables()
    with dl.Monitor(
        ref,
        window=1000,
        policies=[dl.policies.Drift()],
        actions=[hook(receiver.url, timeout=0.2, max_elapsed=1.0)],
    ) as mon:
        t0 = time.monotonic()
        mon.observe(cur)  # closes the window, decides, hands over to the dispatcher
        assert time.monotonic() - t0 < 5  # observe never waits on the receiver
        assert mon.flush(15)
        (dead,) = mon.outbox.list("dead")
        assert "timeout" in (dead.last_error or "")
        from prometheus_client import CollectorRegistry, generate_latest

        reg = CollectorRegistry()
        reg.register(mon.metrics_collector())
        text = generate_latest(reg).decode()
    assert 'driftline_outbox_dead_letters{monitor="monitor"} 1.0' in text
    assert 'driftline_triggers_fired_total{monitor="monitor"} 1.0' in text
    assert 'driftline_rows_observed_total{monitor="monitor"} 1000.0' in text
    assert 'driftline_drift_detected{feature="x",monitor="monitor"} 1.0' in text


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np, pyarrow as pa
    import driftline as dl
    state, url, secret, mode = sys.argv[1:5]
    rng = np.random.default_rng(0)
    ref = pa.table({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000)})
    hook = dl.actions.Webhook(url, secret=secret, name="hook", allow_loopback=True)
    mon = dl.Monitor(ref, window=1000, state=state, name="svc", policies=[dl.policies.Drift()],
                     actions=[hook], dispatch="manual" if mode == "decide" else "background")
    if mode == "decide":
        mon.observe(pa.table({"x": rng.normal(1, 1, 1000), "y": rng.normal(0, 1, 1000)}))
        print(len(mon.history[-1].triggers), flush=True)
        time.sleep(60)
    else:
        print(mon.flush(20), flush=True)
    """
)


@pytest.mark.timeout(120)
def test_monitor_killed_before_dispatch(tmp_path: Path, receiver: Receiver) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))

    def child(mode: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path / "s.db"), receiver.url, SECRET, mode],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    p = child("decide")
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "1"  # decided, in the outbox, not dispatched
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    p.stdout.close()
    assert receiver.requests == []
    q = child("restart")
    out, _ = q.communicate(timeout=60)
    assert out.strip() == "True"
    assert receiver.wait_for(1)
    assert list(receiver.delivered.values()) == [1]
