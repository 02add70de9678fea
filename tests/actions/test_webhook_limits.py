"""Webhook limits: max_elapsed and timeout bound a delivery whatever the receiver does;
0.0.0.0, :: and IPv6 metadata are refused like loopback and metadata; a name that does
not resolve is retried; thousands of attempts do not overflow the backoff; credentials
in the URL are sent but never shown."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from webhook_receiver import SECRET, Receiver

from driftline.actions import Outbox, Webhook
from driftline.actions.base import DeliveryError, PermanentDeliveryError
from driftline.actions.webhook import check_address

PAYLOAD = {"policy": "drift", "window": "w1", "fired_at": 1.0}


@dataclass
class Dripper:
    """A receiver on 127.0.0.1 sending ``head`` at once, then ``drip`` a byte at a time."""

    url: str = ""
    sent: int = 0
    dropped: bool = False  # the client hung up before everything was sent
    done: threading.Event = field(default_factory=threading.Event)


def _serve_drip(head: bytes, drip: bytes, interval: float) -> Iterator[Dripper]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(30)  # self-stopping: one connection, or none within 30 s
    d = Dripper(url=f"http://127.0.0.1:{srv.getsockname()[1]}/h")

    def serve() -> None:
        try:
            conn, _ = srv.accept()
        except OSError:
            d.done.set()
            return
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(head)
                for b in drip:
                    if d.done.wait(interval):
                        break
                    conn.sendall(bytes([b]))
                    d.sent += 1
            except OSError:
                d.dropped = True
        d.done.set()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield d
    d.done.wait(60)
    srv.close()
    t.join(5)


@pytest.fixture
def body_dripper() -> Iterator[Dripper]:
    yield from _serve_drip(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100, interval=0.1
    )


@pytest.fixture
def header_dripper() -> Iterator[Dripper]:
    yield from _serve_drip(b"", b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 80, interval=0.1)


@pytest.mark.timeout(60)
def test_dripped_body_is_not_waited_for(body_dripper: Dripper) -> None:
    hook = Webhook(
        body_dripper.url, secret=SECRET, allow_loopback=True, timeout=1.0, max_attempts=1
    )
    hook.deliver(PAYLOAD, "msg_body")  # the status says delivered; the body is not needed
    assert body_dripper.done.wait(30)
    assert body_dripper.dropped and body_dripper.sent < 100


@pytest.mark.timeout(60)
def test_dripped_headers_end_at_the_timeout(header_dripper: Dripper) -> None:
    hook = Webhook(
        header_dripper.url,
        secret=SECRET,
        allow_loopback=True,
        timeout=1.0,
        max_elapsed=2.0,
        max_attempts=1,
    )
    with pytest.raises(DeliveryError, match="timeout"):
        hook.deliver(PAYLOAD, "msg_head")
    # Every byte came well within the per-read timeout: only an overall bound stops it.
    assert header_dripper.done.wait(30)
    assert header_dripper.dropped and header_dripper.sent < 80


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]", "[::ffff:0.0.0.0]"])
def test_unspecified_address_is_loopback(host: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        check_address(f"http://{host}:8080/", allow_private=True)
    check_address(f"http://{host}:8080/", allow_loopback=True)


def test_ipv6_metadata_always_refused() -> None:
    with pytest.raises(PermanentDeliveryError, match="metadata"):
        check_address("http://[fe80::a9fe:a9fe]/", allow_private=True, allow_loopback=True)


def test_zero_address_does_not_reach_a_loopback_receiver(receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "0.0.0.0")
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        Webhook(url, secret=SECRET, allow_private=True).deliver(PAYLOAD, "msg_zero")
    assert receiver.requests == []


def test_name_that_does_not_resolve_is_retried() -> None:
    waits: list[float] = []
    hook = Webhook(
        "http://receiver.invalid/hook", secret=SECRET, max_attempts=3, sleep=waits.append
    )
    with pytest.raises(DeliveryError, match="cannot resolve") as info:
        hook.deliver(PAYLOAD, "msg_dns")
    assert not isinstance(info.value, PermanentDeliveryError)
    assert len(waits) == 2


def test_refused_address_is_not_retried(receiver: Receiver) -> None:
    waits: list[float] = []
    hook = Webhook(receiver.url, secret=SECRET, max_attempts=3, sleep=waits.append)
    with pytest.raises(PermanentDeliveryError, match="loopback"):
        hook.deliver(PAYLOAD, "msg_policy")
    assert waits == [] and receiver.requests == []


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


@pytest.mark.timeout(120)
def test_more_than_a_thousand_attempts_do_not_overflow() -> None:
    waits: list[float] = []
    hook = Webhook(
        f"http://127.0.0.1:{_closed_port()}/h",
        secret=SECRET,
        allow_loopback=True,
        max_attempts=1100,
        backoff=1e-6,
        max_backoff=1e-6,
        max_elapsed=100,
        sleep=waits.append,
    )
    with pytest.raises(DeliveryError, match="connection error"):
        hook.deliver(PAYLOAD, "msg_many")
    assert len(waits) == 1099 and all(0 <= w <= 1e-6 for w in waits)


TOKEN = "S3cr3tT0ken"


def test_url_credentials_are_sent_but_never_shown(receiver: Receiver) -> None:
    url = receiver.url.replace("http://", f"http://bot:{TOKEN}@")
    hook = Webhook(url, secret=SECRET, allow_loopback=True, max_attempts=2, backoff=0.0)
    assert hook.name == f"webhook:{receiver.url}"
    assert TOKEN not in repr(hook)
    # Sent as Basic auth, as before.
    hook.deliver(PAYLOAD, "msg_ok")
    auth = receiver.requests[-1]["authorization"]
    assert base64.b64decode(auth.removeprefix("Basic ")).decode() == f"bot:{TOKEN}"
    # Errors (retries exhausted, a permanent answer, a refused address) do not show them.
    receiver.script = [(500, {}, 0.0), (500, {}, 0.0), (400, {}, 0.0)]
    box = Outbox(":memory:")
    box.put("t1", {"policy": "drift"}, [hook.name])
    box.put("t2", {"policy": "drift"}, [hook.name])
    box.dispatch([hook])
    refused = Webhook(url, secret=SECRET, name=hook.name, max_attempts=1)
    box.put("t3", {"policy": "drift"}, [hook.name])
    box.dispatch([refused])
    rows = box.list()
    assert len(rows) == 3 and all(d.status == "dead" and d.last_error for d in rows), rows
    assert not any(TOKEN in (d.last_error or "") + d.action for d in rows)


def test_ordinary_url_keeps_its_name() -> None:
    hook = Webhook("https://example.com:8443/hooks?x=1", secret=SECRET)
    assert hook.name == "webhook:https://example.com:8443/hooks?x=1"
