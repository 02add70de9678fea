"""A real ``driftline serve`` killed with SIGKILL under load, then restarted on the same
registry and state folder.

During the first run, clients post drifted Arrow batches to a declared monitor (a drift
policy with a webhook to a receiver on loopback) while another registers versions over the
API; the receiver holds the first delivery without answering, so the trigger is decided
and in flight when the process dies. After the kill: the registry opens and its audit
chain verifies. After the restart: the pending delivery reaches the receiver and is
acknowledged exactly once, under the idempotency key the first process chose, and the
policy's cooldown (restored from the state file) fires nothing new. Bounded: a few
clients, each request timed out, every wait with a deadline.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("driftline._native", reason="the native module is not built")

import driftline as dl
from driftline.actions.outbox import Outbox

ARROW = "application/vnd.apache.arrow.stream"
SECRET = "whsec_" + base64.b64encode(b"crash-test-secret-0123456789").decode()
CLIENTS = 4
WINDOW = 2_000
ROWS = 500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """A webhook receiver on loopback: holds requests unanswered until ``accept()``, then
    acknowledges each, deduplicating by ``webhook-id`` as a receiver should."""

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self.acknowledged: list[str] = []
        self.payloads: dict[str, dict[str, Any]] = {}
        self.seen = threading.Event()
        self._accepting = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                msg_id = self.headers.get("webhook-id", "")
                accepting = receiver._accepting.is_set()
                with receiver._lock:
                    receiver.attempts.append(msg_id)
                    if accepting and msg_id not in receiver.payloads:
                        receiver.acknowledged.append(msg_id)
                        receiver.payloads[msg_id] = json.loads(body)
                receiver.seen.set()
                if not accepting:
                    # Hold the delivery until the test is over: the sender dies meanwhile.
                    receiver._stop.wait(60)
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def accept(self) -> None:
        self._accepting.set()

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _table(seed: int, shift: float) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"x": rng.normal(shift, 1, ROWS), "y": rng.normal(shift, 1, ROWS)})


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _prepare(tmp: Path, hook_url: str) -> tuple[str, str, Path, dict[str, str]]:
    """A registry with model ``m`` v1 (reference profile), a service user for the declared
    monitor, and the ``--monitors`` file; returns (url, root token, file, environment)."""
    url = f"sqlite:///{tmp / 'registry.db'}"
    reg = dl.Registry(url)
    root = reg.bootstrap("root")
    admin = reg.session(root)
    service = admin.create_user("svc", role="contributor")
    admin.create_model("m")
    rng = np.random.default_rng(1)
    reference = pa.table({"x": rng.normal(size=5000), "y": rng.normal(size=5000)})
    admin.register_version(
        "m",
        artifact_uri="s3://m/1",
        checksum="sha256:" + "1" * 64,
        reference_profile=dl.profile(reference),
    )
    reg.close()
    config = tmp / "serve.toml"
    config.write_text(
        f"""
state_dir = "state"

[[monitors]]
name = "crash"
model = "m"
version = 1
window = {WINDOW}

[[monitors.policies]]
type = "drift"
features = 1
cooldown = "1h"

[[monitors.actions]]
type = "webhook"
url = "{hook_url}"
allow_loopback = true
timeout = 30.0
max_elapsed = 60.0
"""
    )
    env = {
        **os.environ,
        "DRIFTLINE_SERVE_TOKEN": service,
        "DRIFTLINE_WEBHOOK_SECRET": SECRET,
        "DRIFTLINE_MAX_THREADS": "1",
    }
    return url, root, config, env


class Server:
    """``driftline serve`` in a subprocess on a free loopback port."""

    def __init__(self, url: str, config: Path, env: dict[str, str], port: int, log: Path):
        self.base = f"http://127.0.0.1:{port}"
        self._log = log.open("ab")
        code = "from driftline.cli import main; main()"
        argv = ["serve", "--registry", url, "--port", str(port), "--monitors", str(config)]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *argv],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._log.close()


def _load(base: str, token: str, stop: threading.Event, counts: dict[str, int]) -> None:
    """CLIENTS ingesting drifted batches and one client registering versions, until
    ``stop`` or the server dies; bounded per request (timeout) and in count."""
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}

    def post(client: httpx.Client, url: str, ok: int, key: str, **kwargs: Any) -> bool:
        try:
            answer = client.post(url, **kwargs)
        except httpx.TransportError:
            return False  # the server was killed
        with lock:
            counts[key if answer.status_code == ok else "refused"] += 1
        return True

    def ingest(seed: int) -> None:
        body = _ipc(_table(seed, shift=3.0))
        url = f"{base}/api/v1/monitors/crash/batches"
        with httpx.Client(headers={**headers, "Content-Type": ARROW}, timeout=10) as client:
            for _ in range(2_000):
                if stop.is_set() or not post(client, url, 200, "ingested", content=body):
                    return

    def register() -> None:
        url = f"{base}/api/v1/models/m/versions"
        with httpx.Client(headers=headers, timeout=10) as client:
            for i in range(2_000):
                spec = {"artifact_uri": f"s3://m/{i}", "checksum": f"sha256:{i:064x}"}
                if stop.is_set() or not post(client, url, 201, "registered", json=spec):
                    return

    threads = [threading.Thread(target=ingest, args=(s,)) for s in range(CLIENTS)]
    threads.append(threading.Thread(target=register))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def _wait(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.timeout(300)
def test_sigkill_under_load_then_restart_delivers_once(tmp_path: Path, receiver: Receiver) -> None:
    url, root, config, env = _prepare(tmp_path, receiver.url)
    port = _free_port()
    log = tmp_path / "serve.log"
    outbox_file = tmp_path / "state" / "declared-crash.db"

    first = Server(url, config, env, port, log)
    stop = threading.Event()
    counts = {"ingested": 0, "registered": 0, "refused": 0}
    loader = threading.Thread(target=_load, args=(first.base, root, stop, counts))
    loader.start()
    try:
        # The first window fires the drift policy; its delivery reaches the receiver,
        # which holds it: decided, durable, in flight.
        assert receiver.seen.wait(60), "no delivery attempt within 60 s"
        _wait(lambda: counts["registered"] >= 3, 30, "registry writes")
        time.sleep(0.5)  # more load in flight when the process dies
    finally:
        first.kill(signal.SIGKILL)
        stop.set()
        loader.join(timeout=150)
    assert not loader.is_alive()
    assert first.proc.returncode == -signal.SIGKILL
    assert counts["ingested"] >= WINDOW // ROWS and counts["refused"] == 0, counts

    # After the kill: the registry opens and its audit chain is intact.
    reg = dl.Registry(url)
    try:
        verdict = reg.audit.verify()
        assert verdict.ok, verdict
        versions = reg.session(root).list_versions("m", limit=100_000)
        assert len(versions) >= 1
    finally:
        reg.close()
    box = Outbox(outbox_file)
    try:
        pending = box.list("pending")
    finally:
        box.close()
    assert pending, "the decided trigger is not in the outbox"
    decided = {d.id for d in pending}
    assert set(receiver.attempts) <= decided
    assert not receiver.acknowledged

    # Restart on the same registry and state: the pending delivery goes out, once.
    receiver.accept()
    second = Server(url, config, env, port, log)
    try:
        _wait(lambda: set(receiver.acknowledged) >= decided, 60, "the redelivery")
        # Drifted traffic again: the cooldown restored from the state file holds.
        with httpx.Client(
            headers={"Authorization": f"Bearer {root}", "Content-Type": ARROW}, timeout=30
        ) as client:
            body = _ipc(_table(99, shift=3.0))
            for _ in range(2 * WINDOW // ROWS):
                answer = client.post(f"{second.base}/api/v1/monitors/crash/batches", content=body)
                assert answer.status_code == 200, answer.text
            outbox = client.get(f"{second.base}/api/v1/monitors/crash/outbox").json()
        time.sleep(1.0)  # room for a (wrong) second delivery to arrive
    finally:
        second.kill(signal.SIGTERM)
    assert sorted(receiver.acknowledged) == sorted(decided)
    assert len(receiver.acknowledged) == len(set(receiver.acknowledged))
    assert {d["id"] for d in outbox} == decided
    assert {d["status"] for d in outbox} == {"delivered"}
    for msg_id in decided:
        data = receiver.payloads[msg_id]["data"]
        assert data["monitor"] == "crash" and data["policy"] == "drift"
        assert Outbox.delivery_id(data["id"], f"webhook:{receiver.url}") == msg_id

    reg = dl.Registry(url)
    try:
        assert reg.audit.verify().ok
    finally:
        reg.close()
