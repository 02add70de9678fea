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
