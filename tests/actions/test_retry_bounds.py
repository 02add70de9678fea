"""Webhook retry bounds: a receiver's unusable ``Retry-After`` falls back to the backoff,
and bounds that cannot work are refused when the webhook is built, not at delivery."""

from __future__ import annotations

import math
import time

import pytest
from webhook_receiver import SECRET, Receiver

from driftline.actions import Webhook
from driftline.exceptions import InvalidParameter

PAYLOAD = {"policy": "drift", "window": "w00000001", "fired_at": 1.0}


@pytest.mark.parametrize("header", ["nan", "NaN", "inf", "-inf", "-3", "1e400"])
def test_unusable_retry_after_falls_back_to_backoff(receiver: Receiver, header: str) -> None:
    receiver.script = [(503, {"retry-after": header}, 0.0)]
    waits: list[float] = []
    hook = Webhook(
        receiver.url,
        secret=SECRET,
        allow_loopback=True,
        backoff=0.05,
        max_backoff=0.05,
        sleep=lambda s: (waits.append(s), time.sleep(s)),
    )
    hook.deliver(PAYLOAD, "msg_ra")
    # The second attempt was made and accepted: the delivery is not a dead letter.
    assert [r["status"] for r in receiver.requests] == [503, 200]
    assert receiver.delivered == {"msg_ra": 1}
    # Full jitter over the first backoff step: a wait in [0, 0.05].
    assert len(waits) == 1 and 0.0 <= waits[0] <= 0.05


def test_valid_retry_after_still_honoured(receiver: Receiver) -> None:
    receiver.script = [(429, {"retry-after": "0"}, 0.0)]
    waits: list[float] = []
    Webhook(
        receiver.url, secret=SECRET, allow_loopback=True, backoff=5.0, sleep=waits.append
    ).deliver(PAYLOAD, "msg_zero")
    assert waits == [0.0]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_backoff", -1),
        ("max_backoff", math.nan),
        ("backoff", -0.5),
        ("backoff", math.inf),
        ("timeout", 0),
        ("timeout", math.nan),
        ("max_elapsed", -1.0),
        ("max_elapsed", math.inf),
        ("max_attempts", 0),
        ("max_attempts", 2.5),
        ("max_attempts", True),
        ("timeout", "10"),
    ],
)
def test_bad_bounds_refused_at_construction(option: str, value: object) -> None:
    with pytest.raises(InvalidParameter, match=option):
        Webhook("https://example.com/hook", secret=SECRET, **{option: value})  # type: ignore[arg-type]
