"""Trigger payloads are strict JSON (RFC 8259): a finding holding inf or NaN reaches the
receiver and the outbox as null, never as the ``Infinity`` / ``NaN`` tokens Python's json
module writes by default."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from webhook_receiver import SECRET, Receiver

import driftline as dl
from driftline.actions import Outbox, Webhook


def strict_loads(text: str | bytes) -> Any:
    """RFC 8259 parsing: the non-standard constants are refused, as JSON.parse does."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not RFC 8259 JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_webhook_body_with_inf_finding_is_strict_json(
    receiver: Receiver, rng: np.random.Generator
) -> None:
    ref = rng.normal(0, 1, 2000)
    hook = Webhook(receiver.url, secret=SECRET, name="hook", allow_loopback=True)
    with dl.Monitor(
        pa.table({"x": ref}),
        window=100,
        policies=[dl.policies.DataQuality()],
        actions=[hook],
        dispatch="inline",
    ) as mon:
        mon.observe(pa.table({"x": [math.inf] * 100}))
        assert mon.flush(30)
    (request,) = receiver.requests
    assert request["signature_ok"]
    data = strict_loads(request["raw"])["data"]
    (finding,) = [f for f in data["details"]["findings"] if f["check"] == "out_of_range"]
    assert finding["min"] is None and finding["max"] is None
    # Finite values are kept as they are: the reference range is numpy's.
    assert finding["reference_min"] == pytest.approx(ref.min())
    assert finding["reference_max"] == pytest.approx(ref.max())
    assert finding["share"] == 1.0


def test_webhook_deliver_nan_score(receiver: Receiver) -> None:
    hook = Webhook(receiver.url, secret=SECRET, allow_loopback=True)
    hook.deliver({"score": math.nan, "details": {"values": (1.5, -math.inf)}}, "msg_nan")
    data = strict_loads(receiver.requests[0]["raw"])["data"]
    assert data == {"score": None, "details": {"values": [1.5, None]}}


def test_outbox_stores_strict_json(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    box = Outbox(path)
    payload = {"score": math.inf, "details": {"max": -math.inf, "p": math.nan, "n": 3}}
    assert box.put("t1", payload, ["log"]) == 1
    box.close()
    # Read the stored text with sqlite3 directly, not through the outbox.
    with sqlite3.connect(path) as conn:
        (stored,) = conn.execute("SELECT payload FROM outbox").fetchone()
    assert strict_loads(stored) == {"score": None, "details": {"max": None, "p": None, "n": 3}}
    (delivery,) = Outbox(path).list()
    assert delivery.payload == {"score": None, "details": {"max": None, "p": None, "n": 3}}
