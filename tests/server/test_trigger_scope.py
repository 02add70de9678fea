"""A retraining trigger is bound to one model: on the monitor routes it acts on that
model's monitors only (before, a trigger of ``churn`` could feed, close, create and
dispatch monitors of every model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from server_helpers import World, make_world

pytest.importorskip("driftline._native", reason="the native module is not built")

import driftline as dl

API = "/api/v1"
ARROW = "application/vnd.apache.arrow.stream"


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def _batch(n: int = 50) -> pa.Table:
    return pa.table({"x": np.linspace(0.0, 1.0, n)})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Models churn and fraud with a reference each, a monitor on each (``churn-prod``,
    ``fraud-prod``, created by carol), and a trigger bound to churn (token ``trigger``)."""
    w = make_world(tmp_path)
    carol = w.registry.session(w.tokens["carol"])
    carol.create_model("fraud")
    reference = dl.profile(pa.table({"x": np.linspace(0.0, 1.0, 500)}))
    for model in ("churn", "fraud"):
        v = carol.register_version(
            model,
            artifact_uri=f"s3://models/{model}/x.onnx",
            checksum="sha256:" + "e" * 64,
            reference_profile=reference,
        )
        config = {"name": f"{model}-prod", "model": model, "version": v.version, "window": 10**6}
        made = w.client.post(f"{API}/monitors", json=config, headers=w.auth("carol"))
        assert made.status_code == 201, made.text
    made = w.client.post(
        f"{API}/models/churn/triggers", json={"name": "retrain-churn"}, headers=w.auth("root")
    )
    assert made.status_code == 201, made.text
    w.tokens["trigger"] = made.json()["token"]
    with w.client:
        yield w
    w.registry.close()


def _calls(monitor: str) -> list[tuple[str, str, dict[str, object]]]:
    """Every monitor route on ``monitor``: (method, path, request options)."""
    base = f"{API}/monitors/{monitor}"
    return [
        ("POST", f"{base}/batches", {"content": _ipc(_batch()), "ct": ARROW}),
        ("POST", f"{base}/close", {}),
        ("POST", f"{base}/outbox/dispatch", {}),
        ("GET", base, {}),
        ("GET", f"{base}/history", {}),
        ("GET", f"{base}/windows/w00000000", {}),
        ("GET", f"{base}/outbox", {}),
        ("GET", f"{base}/triggers", {}),
    ]


def _call(w: World, who: str, method: str, path: str, options: dict[str, object]) -> int:
    headers = w.auth(who)
    if "ct" in options:
        headers["Content-Type"] = str(options["ct"])
    content = options.get("content")
    answer = w.client.request(method, path, headers=headers, content=content)  # type: ignore[arg-type]
    return answer.status_code


@pytest.mark.parametrize("call", range(len(_calls("x"))))
def test_a_trigger_may_not_act_on_another_models_monitor(world: World, call: int) -> None:
    method, path, options = _calls("fraud-prod")[call]
    assert _call(world, "trigger", method, path, options) == 403
    # The same call by a person allowed to is not refused on scope.
    assert _call(world, "carol", method, path, options) != 403


def test_nothing_reaches_the_other_models_monitor(world: World) -> None:
    body = _ipc(_batch())
    headers = {**world.auth("trigger"), "Content-Type": ARROW}
    refused = world.client.post(f"{API}/monitors/fraud-prod/batches", content=body, headers=headers)
    assert refused.status_code == 403
    assert "bound to model 'churn'" in refused.json()["detail"]
    summary = world.client.get(f"{API}/monitors/fraud-prod", headers=world.auth("carol")).json()
    assert summary["rows_observed"] == 0 and summary["batches"] == 0


def test_a_trigger_acts_on_its_own_models_monitor(world: World) -> None:
    headers = {**world.auth("trigger"), "Content-Type": ARROW}
    fed = world.client.post(
        f"{API}/monitors/churn-prod/batches", content=_ipc(_batch()), headers=headers
    )
    assert fed.status_code == 200, fed.text
    closed = world.client.post(f"{API}/monitors/churn-prod/close", headers=world.auth("trigger"))
    assert closed.status_code == 200, closed.text
    listed = world.client.get(f"{API}/monitors", headers=world.auth("trigger")).json()
    assert [m["name"] for m in listed] == ["churn-prod"]
    everyone = world.client.get(f"{API}/monitors", headers=world.auth("victor")).json()
    assert sorted(m["name"] for m in everyone) == ["churn-prod", "fraud-prod"]


def test_a_trigger_creates_monitors_of_its_own_model_only(world: World) -> None:
    trigger = world.auth("trigger")
    other = {"name": "by-trigger", "model": "fraud", "version": 1}
    refused = world.client.post(f"{API}/monitors", json=other, headers=trigger)
    assert refused.status_code == 403, refused.text
    assert world.client.get(f"{API}/monitors/by-trigger", headers=trigger).status_code == 404
    own = {"name": "by-trigger", "model": "churn", "version": 2}
    assert world.client.post(f"{API}/monitors", json=own, headers=trigger).status_code == 201
