"""The healthcare part of the demo, checked from what it leaves in the registry, the
monitor's outbox and ``ctx.artefacts`` (never from printed text)."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from rich.console import Console

import driftline as dl
from driftline.actions import Outbox
from driftline.demo.healthcare import HEALTHCARE_STEPS, MODEL, SHIFTED
from driftline.demo.steps import DemoContext, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Any, Any]]:
    out = tmp_path_factory.mktemp("healthcare") / "out"
    console = Console(file=io.StringIO(), width=120)
    ctx = run_demo(
        DemoContext(out=out, rows=1_000, progress=False, console=console), HEALTHCARE_STEPS
    )
    info = ctx.artefacts["healthcare"]
    state = ctx.artefacts["healthcare_state"]
    token = state["admin"].create_user("auditor", role="viewer")
    state["registry"].close()
    # A fresh connection to the file: what the demo left behind, read by an auditor.
    reg = dl.Registry(info["registry_url"])
    auditor = reg.session(token)
    yield info, reg, auditor
    reg.close()


def events(reg: Any, action: str) -> list[Any]:
    return [e for e in reg.audit.events() if e.action == action]


def test_production_version_approved_by_a_second_person(demo: tuple[Any, Any, Any]) -> None:
    info, reg, auditor = demo
    model = auditor.get_model(MODEL)
    assert model.production_version == info["production_version"] == 1
    v1 = auditor.get_version(MODEL, 1)
    assert v1.stage == "production" and v1.created_by == "priya" and not v1.candidate
    (approval,) = auditor.approvals(MODEL, 1)
    assert approval.decision == "approve" and approval.valid
    assert approval.approver == "dr-osei" != v1.created_by
    assert approval.evidence_passed is True  # the validation report was the evidence
    (promotion,) = [e for e in events(reg, "transition") if e.after["stage"] == "production"]
    assert promotion.actor == "dr-osei" and promotion.target == f"version:{MODEL}/1"
    node = auditor.lineage(MODEL, 1)[0]
    assert node.training_dataset.ref == "biopsies-2026-q3@1"
    assert node.reference_profile_sha256 is not None


def test_monitor_windows_detect_drift_and_degradation(demo: tuple[Any, Any, Any]) -> None:
    info, _, _ = demo
    windows = info["windows"]
    assert len(windows) == 4
    normal, shifted = windows[:2], windows[2:]
    assert all(w["accuracy"] > info["baseline_accuracy"] - 0.1 for w in normal)
    assert all(len(w["drifted_features"]) <= 1 for w in normal)
    for w in shifted:
        assert w["drifted"]
        assert set(SHIFTED) <= set(w["drifted_features"])
        assert w["accuracy"] < info["baseline_accuracy"] - 0.1
    assert len(shifted[0]["triggers"]) == 2  # drift and performance, in the same window


def test_triggers_were_delivered_through_the_outbox(demo: tuple[Any, Any, Any]) -> None:
    info, reg, _ = demo
    assert info["outbox_drained"]
    box = Outbox(info["monitor_state"])
    try:
        rows = box.list()
    finally:
        box.close()
    fired = {t for w in info["windows"] for t in w["triggers"]}
    assert {d.trigger_id for d in rows} == fired
    assert all(d.status == "delivered" and d.action.startswith("retraining") for d in rows)
    assert {d.payload["policy"] for d in rows} == {"drift", "performance:accuracy"}
    runs = [e.after for e in events(reg, "retraining.run")]
    assert {r["delivery_id"] for r in runs} == {d.id for d in rows}
    first, second = runs
    assert first["status"] == "awaiting_approval" and first["version"] == 2
    assert second["status"] == "stopped" and "v2" in second["reason"]


def test_candidate_awaits_approval_with_lineage(demo: tuple[Any, Any, Any]) -> None:
    info, reg, auditor = demo
    assert info["candidate_version"] == 2
    v2 = auditor.get_version(MODEL, 2)
    assert v2.candidate and v2.stage == "development"
    assert v2.created_by == "oncology-retrainer"
    assert v2.parent_version == 1
    assert auditor.approvals(MODEL, 2) == []
    fired = {t for w in info["windows"] for t in w["triggers"]}
    assert v2.tags["retraining.trigger_id"] in fired
    assert v2.tags["retraining.trigger_monitor"] == "oncology-triage"
    (run,) = [r.after for r in events(reg, "retraining.run") if r.after["version"] == 2]
    assert v2.tags["retraining.delivery_id"] == run["delivery_id"]
    node, parent = auditor.lineage(MODEL, 2)
    assert node.training_dataset.ref == f"{MODEL}-training@1"
    assert node.training_dataset.row_count > parent.training_dataset.row_count
    assert node.reference_profile_sha256 is not None
    assert (parent.version, parent.stage) == (1, "production")
    (request,) = events(reg, "approval.request")
    assert request.target == f"version:{MODEL}/2" and request.actor == "oncology-retrainer"
    assert all(g["passed"] for g in request.after["gates"])
    assert {g["gate"] for g in request.after["gates"]} == {
        "performance:roc_auc",
        "fairness:disparate_impact",
    }
    # The artifact is JSON on disk, its checksum the registry's.
    path = Path(unquote(urlsplit(v2.artifact_uri).path))
    assert v2.checksum == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert json.loads(path.read_text())["kind"] == "standard-scaler+logistic-regression"


def test_candidate_was_not_promoted(demo: tuple[Any, Any, Any]) -> None:
    _, reg, auditor = demo
    assert auditor.get_model(MODEL).production_version == 1
    moves = [e.target for e in events(reg, "transition")]
    assert f"version:{MODEL}/2" not in moves
    assert not [
        e
        for e in reg.audit.events()
        if e.actor == "oncology-retrainer" and e.action in ("approve", "transition")
    ]
    assert reg.audit.verify().ok
