"""The signed webhook: signatures, retries, Retry-After, redirects, refused addresses."""

from __future__ import annotations

import time

import pytest
from webhook_receiver import SECRET, SECRET2, Receiver

from driftline.actions import DeliveryError, PermanentDeliveryError, Webhook, sign
from driftline.actions.webhook import check_address

PAYLOAD = {"policy": "drift", "window": "w00000001", "fired_at": 1.0}


def hook(url: str, **kw: object) -> Webhook:
    kw.setdefault("allow_loopback", True)
    kw.setdefault("backoff", 0.01)
    return Webhook(url, secret=kw.pop("secret", SECRET), **kw)  # type: ignore[arg-type]


def test_spec_example_signature() -> None:
    # The example published with the Standard Webhooks specification.
    sig = sign(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_delivers_signed(receiver: Receiver) -> None:
    hook(receiver.url).deliver(PAYLOAD, "msg_abc")
    (req,) = receiver.requests
    assert req["signature_ok"] and req["id"] == "msg_abc"
    assert req["body"]["type"] == "driftline.trigger"
    assert req["body"]["data"] == PAYLOAD


def test_rotation_two_secrets(receiver: Receiver) -> None:
    receiver.secret = SECRET2  # the receiver already moved to the new secret
    hook(receiver.url, secret=[SECRET, SECRET2]).deliver(PAYLOAD, "msg_rot")
    assert receiver.requests[0]["signature_ok"]
    assert receiver.unique_ids() == {"msg_rot"}


def test_wrong_secret_is_permanent(receiver: Receiver) -> None:
    receiver.secret = SECRET2
    with pytest.raises(PermanentDeliveryError, match="401"):
        hook(receiver.url).deliver(PAYLOAD, "msg_bad")


def test_500_three_times_then_200_same_id(receiver: Receiver) -> None:
    receiver.script = [(500, {}, 0.0)] * 3
    hook(receiver.url).deliver(PAYLOAD, "msg_retry")
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]
    assert {r["id"] for r in receiver.requests} == {"msg_retry"}
    assert all(r["signature_ok"] for r in receiver.requests)
    assert receiver.delivered == {"msg_retry": 1}


def test_retry_after_is_honoured(receiver: Receiver) -> None:
    receiver.script = [(429, {"retry-after": "1"}, 0.0)]
    waits: list[float] = []
    hook(receiver.url, sleep=lambda s: (waits.append(s), time.sleep(s))).deliver(PAYLOAD, "m")
    assert waits == [1.0]
    assert receiver.delivered == {"m": 1}


def test_retry_after_past_deadline_gives_up(receiver: Receiver) -> None:
    receiver.script = [(503, {"retry-after": "3600"}, 0.0)]
    t0 = time.monotonic()
    with pytest.raises(DeliveryError, match="503"):
        hook(receiver.url, max_elapsed=5).deliver(PAYLOAD, "m")
    assert time.monotonic() - t0 < 2


def test_exhausted_retries(receiver: Receiver) -> None:
    receiver.script = [(500, {}, 0.0)] * 10
    with pytest.raises(DeliveryError, match="gave up"):
        hook(receiver.url, max_attempts=3).deliver(PAYLOAD, "m")
    assert len(receiver.requests) == 3


def test_timeout_bounded(receiver: Receiver) -> None:
    receiver.script = [(200, {}, 3.0)] * 5  # never answers in time
    t0 = time.monotonic()
    with pytest.raises(DeliveryError, match="timeout"):
        hook(receiver.url, timeout=0.3, max_elapsed=1.5).deliver(PAYLOAD, "m")
    assert time.monotonic() - t0 < 3


def test_4xx_not_retried(receiver: Receiver) -> None:
    receiver.script = [(400, {}, 0.0)]
    with pytest.raises(PermanentDeliveryError):
        hook(receiver.url).deliver(PAYLOAD, "m")
    assert len(receiver.requests) == 1


def test_redirect_not_followed(receiver: Receiver) -> None:
    receiver.script = [(302, {"location": "http://169.254.169.254/latest"}, 0.0)]
    with pytest.raises(PermanentDeliveryError, match="redirect"):
        hook(receiver.url).deliver(PAYLOAD, "m")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[::ffff:10.0.0.1]/x",
        "file:///etc/passwd",
    ],
)
def test_refused_addresses(url: str) -> None:
    with pytest.raises(PermanentDeliveryError):
        check_address(url)


def test_metadata_refused_even_when_private_allowed() -> None:
    with pytest.raises(PermanentDeliveryError, match="metadata"):
        check_address("http://169.254.169.254/", allow_private=True, allow_loopback=True)
    check_address("http://10.0.0.1/", allow_private=True)


def test_bad_secret_rejected_early() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        Webhook("https://example.com", secret="plain")
