"""Lifecycle: legal transitions, four-eyes approvals on the checksum, one production
version, stale updates, suspension, triggers."""

from __future__ import annotations

import pytest
from registry_helpers import CHECKSUM, checksum

import driftline as dl
from driftline.exceptions import ConflictError, InvalidParameter, PermissionDenied


def _staged(p, n: int = 1, model: str = "m") -> None:
    p.carol.create_model(model)
    for i in range(n):
        p.carol.register_version(model, artifact_uri=f"s3://b/{i}", checksum=checksum(i))
        p.carol.transition(model, i + 1, "staging")


def test_promotion_needs_an_approval_from_someone_else(people) -> None:
    p = people
    _staged(p)
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.carol.transition("m", 1, "production")
    p.alice.approve("m", 1, comment="looks good")
    v = p.carol.transition("m", 1, "production")
    assert v.stage == "production"
    assert p.victor.get_model("m").production_version == 1


def test_four_eyes(people) -> None:
    p = people
    p.admin.create_model("m")
    p.admin.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    p.admin.transition("m", 1, "staging")
    with pytest.raises(PermissionDenied, match="four-eyes"):
        p.admin.approve("m", 1)
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.admin.promote("m", 1)
    p.bob.approve("m", 1)
    assert p.admin.promote("m", 1).stage == "production"


def test_creator_approval_never_counts_even_after_role_change(people) -> None:
    p = people
    _staged(p)
    p.admin.set_role("carol", "approver")
    with pytest.raises(PermissionDenied, match="four-eyes"):
        p.carol.approve("m", 1)


def test_required_approvals_configurable(people) -> None:
    p = people
    assert p.admin.configure(required_approvals=2)["required_approvals"] == "2"
    _staged(p)
    p.alice.approve("m", 1)
    p.alice.approve("m", 1)  # the same approver twice is one approval
    with pytest.raises(ConflictError, match="needs 2"):
        p.carol.promote("m", 1)
    p.bob.approve("m", 1)
    assert p.carol.promote("m", 1).stage == "production"
    with pytest.raises(InvalidParameter):
        p.admin.configure(required_approvals=0)
    with pytest.raises(PermissionDenied):
        p.carol.configure(required_approvals=1)


def test_changing_the_artifact_voids_approvals(people) -> None:
    p = people
    _staged(p)
    p.alice.approve("m", 1)
    v = p.carol.get_version("m", 1)
    p.carol.update_version(
        "m", 1, revision=v.revision, artifact_uri="s3://b/new", checksum=checksum(99)
    )
    assert [a.valid for a in p.victor.approvals("m", 1)] == [False]
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.carol.promote("m", 1)
    p.alice.approve("m", 1)
    assert p.carol.promote("m", 1).checksum == checksum(99)


def test_rejection_blocks_until_reapproved(people) -> None:
    p = people
    _staged(p)
    p.alice.approve("m", 1)
    p.bob.reject("m", 1, comment="bias on age band")
    with pytest.raises(ConflictError, match="rejection"):
        p.carol.promote("m", 1)
    p.bob.approve("m", 1)
    assert p.carol.promote("m", 1).stage == "production"


def test_evidence_required(people) -> None:
    p = people
    p.admin.configure(require_evidence=True)
    _staged(p)
    p.alice.approve("m", 1)
    with pytest.raises(ConflictError, match="evidence"):
        p.carol.promote("m", 1)
    p.bob.approve("m", 1, evidence={"drifted": True})
    with pytest.raises(ConflictError, match="evidence"):
        p.carol.promote("m", 1)
    p.bob.approve("m", 1, evidence={"passed": True, "rules": 3})
    assert p.carol.promote("m", 1).stage == "production"
    with pytest.raises(InvalidParameter):
        p.bob.approve("m", 1, evidence={"nothing": 1})


def test_exactly_one_production_previous_archived(people) -> None:
    p = people
    _staged(p, 3)
    for n in (1, 2, 3):
        p.alice.approve("m", n)
    p.carol.promote("m", 1)
    p.carol.promote("m", 2)
    stages = {v.version: v.stage for v in p.victor.list_versions("m")}
    assert stages == {1: "archived", 2: "production", 3: "staging"}
    p.alice.promote("m", 3)
    stages = {v.version: v.stage for v in p.victor.list_versions("m")}
    assert stages == {1: "archived", 2: "archived", 3: "production"}


def test_illegal_transitions(people) -> None:
    p = people
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    with pytest.raises(ConflictError, match="illegal transition development -> production"):
        p.carol.transition("m", 1, "production")
    with pytest.raises(ConflictError, match="illegal"):
        p.carol.transition("m", 1, "retired")
    with pytest.raises(InvalidParameter):
        p.carol.transition("m", 1, "heaven")
    p.carol.transition("m", 1, "archived")
    p.carol.transition("m", 1, "retired")
    with pytest.raises(ConflictError, match="final stage"):
        p.carol.transition("m", 1, "staging")


def test_stale_updates_refused(people) -> None:
    p = people
    p.carol.create_model("m")
    v = p.carol.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    fresh = p.carol.update_version("m", 1, revision=v.revision, metrics={"auc": 0.8})
    assert fresh.revision == v.revision + 1
    with pytest.raises(ConflictError, match="changed since it was read"):
        p.carol.update_version("m", 1, revision=v.revision, metrics={"auc": 0.1})
    with pytest.raises(ConflictError, match="changed since it was read"):
        p.carol.transition("m", 1, "staging", revision=v.revision)
    assert p.carol.get_version("m", 1).metrics == {"auc": 0.8}
    p.carol.transition("m", 1, "staging", revision=fresh.revision)


def test_production_artifact_is_immutable(people) -> None:
    p = people
    _staged(p)
    p.alice.approve("m", 1)
    v = p.carol.promote("m", 1)
    with pytest.raises(ConflictError, match="cannot change"):
        p.carol.update_version(
            "m", 1, revision=v.revision, artifact_uri="s3://x", checksum=CHECKSUM
        )


def test_suspend_is_a_kill_switch(people) -> None:
    p = people
    _staged(p, 2)
    p.alice.approve("m", 1)
    with pytest.raises(PermissionDenied):
        p.carol.suspend("m", reason="not admin")
    p.admin.suspend("m", reason="incident 42")
    assert p.victor.get_model("m").suspended
    with pytest.raises(ConflictError, match="suspended"):
        p.carol.promote("m", 1)
    with pytest.raises(ConflictError, match="suspended"):
        p.alice.approve("m", 2)
    with pytest.raises(ConflictError, match="suspended"):
        p.carol.set_alias("m", "champion", 1)
    p.admin.resume("m")
    p.admin.suspend("m", 1, reason="bad artifact")
    assert p.victor.get_version("m", 1).suspended
    with pytest.raises(ConflictError, match="suspended"):
        p.carol.promote("m", 1)
    p.admin.resume("m", 1)
    assert p.carol.promote("m", 1).stage == "production"


def test_trigger_only_creates_candidates(reg: dl.Registry, people) -> None:
    p = people
    p.carol.create_model("m")
    p.carol.create_model("other")
    trigger = reg.session(p.admin.create_trigger("m", "nightly-retrain"))
    v = trigger.register_version("m", artifact_uri="s3://b/retrained", checksum=CHECKSUM)
    assert v.candidate and v.stage == "development"
    for call in (
        lambda: trigger.transition("m", 1, "staging"),
        lambda: trigger.promote("m", 1),
        lambda: trigger.approve("m", 1),
        lambda: trigger.set_alias("m", "champion", 1),
        lambda: trigger.create_model("new"),
        lambda: trigger.register_version("other", artifact_uri="s3://b/x", checksum=CHECKSUM),
    ):
        with pytest.raises(PermissionDenied):
            call()
    # The candidate waits for a human: review, staging, approval, promotion.
    p.carol.transition("m", 1, "staging")
    p.alice.approve("m", 1)
    assert p.carol.promote("m", 1).stage == "production"
    # Suspension turns the trigger off.
    p.admin.suspend("m", reason="freeze")
    with pytest.raises(PermissionDenied, match="suspended"):
        trigger.register_version("m", artifact_uri="s3://b/again", checksum=CHECKSUM)
