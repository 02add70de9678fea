"""A webhook receiver on 127.0.0.1 that checks signatures with its own implementation
(imported by the tests of this folder; the fixture lives in conftest.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
SECRET2 = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()


def verify(secret: str, headers: Any, body: bytes, tolerance: float = 300) -> bool:
    """Standard Webhooks verification, written from the spec (not driftline's code)."""
    msg_id = headers["webhook-id"]
    ts = headers["webhook-timestamp"]
    if abs(time.time() - int(ts)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    for part in headers["webhook-signature"].split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


@dataclass
class Receiver:
    """Answers from ``script`` (status, headers, delay) in order, then 200."""

    url: str = ""
    secret: str = SECRET
    script: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def unique_ids(self) -> set[str]:
        """Ids accepted with a 2xx (the receiver's idempotency)."""
        return set(self.delivered)

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until ``n`` distinct ids were accepted."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.delivered) >= n:
                return True
            time.sleep(0.02)
        return False


def serve_receiver() -> Iterator[Receiver]:
    """Run a receiver until the generator is closed."""
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            ok = verify(rec.secret, self.headers, body)
            with rec.lock:
                status, headers, delay = rec.script.pop(0) if rec.script else (200, {}, 0.0)
                rec.requests.append(
                    {
                        "id": self.headers.get("webhook-id"),
                        "authorization": self.headers.get("authorization"),
                        "signature_ok": ok,
                        "body": json.loads(body),
                        "raw": body,  # as sent, for checks stricter than json.loads
                        "status": status,
                    }
                )
            if delay:
                time.sleep(delay)
            if not ok:
                status = 401
            if 200 <= status < 300:
                with rec.lock:
                    mid = str(self.headers["webhook-id"])
                    rec.delivered[mid] = rec.delivered.get(mid, 0) + 1
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield rec
    server.shutdown()
    server.server_close()
