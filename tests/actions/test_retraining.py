"""RequestRetraining: an audited request on the model, once per delivery id, never while
the model is suspended."""

from __future__ import annotations

from pathlib import Path

import pytest

import driftline as dl
from driftline.actions import Outbox, RequestRetraining


@pytest.fixture
def reg(tmp_path: Path) -> tuple[dl.Registry, object, str]:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'r.db'}")
    admin = reg.session(reg.bootstrap("admin"))
    admin.create_model("churn")
    token = admin.create_trigger("churn", "churn-retrain")
    return reg, admin, token


def requests(reg: dl.Registry) -> list[dict[str, object]]:
    return [e.after for e in reg.audit.events() if e.action == "retraining.request"]


def test_request_recorded_once(reg: tuple[dl.Registry, object, str], tmp_path: Path) -> None:
    registry, _, token = reg
    action = RequestRetraining(registry.session(token), "churn")
    box = Outbox(tmp_path / "o.db")
    box.put("trg_1", {"policy": "drift", "window": "w1"}, [action.name])
    assert box.dispatch([action])["delivered"] == 1
    (d,) = box.list()
    action.deliver(d.payload, d.id)  # a redelivery after a crash: no second request
    (req,) = requests(registry)
    assert req["delivery_id"] == d.id and req["trigger"]["policy"] == "drift"
    assert registry.audit.verify().ok


def test_suspended_model_suppressed(reg: tuple[dl.Registry, object, str], tmp_path: Path) -> None:
    registry, admin, token = reg
    admin.suspend("churn", reason="incident 42")  # type: ignore[attr-defined]
    action = RequestRetraining(registry.session(token), "churn")
    box = Outbox(tmp_path / "o.db")
    box.put("trg_1", {"policy": "drift"}, [action.name])
    assert box.dispatch([action])["suppressed"] == 1
    assert "incident 42" in (box.list("suppressed")[0].last_error or "")
    assert requests(registry) == []


def test_request_ids_matched_exactly(reg: tuple[dl.Registry, object, str]) -> None:
    registry, _, token = reg
    action = RequestRetraining(registry.session(token), "churn")
    sent = [
        ({"policy": "drift", "window": "2026-10"}, "job-10"),
        ({"policy": "drift", "window": "2026-01"}, "job-1"),  # a substring of job-10
        ({"policy": "perf", "note": "follow-up of job-77"}, "job-30"),
        ({"policy": "perf"}, "job-77"),  # quoted in an earlier payload
        ({"policy": "perf"}, "job_%"),  # LIKE wildcards, matching every id above
        ({"policy": "perf"}, "JOB-1"),  # SQLite's LIKE ignores ASCII case
        ({"policy": "perf"}, 'job "1"'),  # escaped in the stored JSON
    ]
    for payload, delivery_id in sent:
        action.deliver(payload, delivery_id)
    for payload, delivery_id in sent:  # redeliveries: each is already recorded
        action.deliver(payload, delivery_id)
    assert [r["delivery_id"] for r in requests(registry)] == [d for _, d in sent]
    assert registry.audit.verify().ok
