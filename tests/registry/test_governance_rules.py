"""Who may decide and move what: re-promotion, owners versus approvers, four-eyes on the
artifact, triggers under the kill switch."""

from __future__ import annotations

import pytest
from registry_helpers import FakeProfile, checksum

import driftline as dl
from driftline.exceptions import ConflictError, PermissionDenied


def _in_production(p, model: str = "m") -> None:
    p.carol.create_model(model)
    p.carol.register_version(model, artifact_uri="s3://b/1", checksum=checksum(1))
    p.carol.transition(model, 1, "staging")
    p.alice.approve(model, 1)
    p.carol.promote(model, 1)


def test_re_promotion_needs_a_new_approval(people) -> None:
    p = people
    _in_production(p)
    p.alice.transition("m", 1, "archived")
    p.carol.transition("m", 1, "staging")
    assert [a.valid for a in p.victor.approvals("m", 1)] == [False]
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.carol.promote("m", 1)
    assert p.victor.get_version("m", 1).stage == "staging"
    p.bob.approve("m", 1)
    assert [a.valid for a in p.victor.approvals("m", 1)] == [False, True]
    assert p.carol.promote("m", 1).stage == "production"


def test_re_promotion_after_being_replaced_needs_a_new_approval(people) -> None:
    # Archived by the promotion of another version, not by a transition call of its own.
    p = people
    _in_production(p)
    p.carol.register_version("m", artifact_uri="s3://b/2", checksum=checksum(2))
    p.carol.transition("m", 2, "staging")
    p.bob.approve("m", 2)
    p.carol.promote("m", 2)
    assert p.victor.get_version("m", 1).stage == "archived"
    p.carol.transition("m", 1, "staging")
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.carol.promote("m", 1)


def test_an_owner_may_not_take_a_version_out_of_production(people) -> None:
    p = people
    _in_production(p)
    with pytest.raises(PermissionDenied, match="approver"):
        p.carol.transition("m", 1, "archived")
    assert p.victor.get_version("m", 1).stage == "production"
    assert p.alice.transition("m", 1, "archived").stage == "archived"
    with pytest.raises(PermissionDenied, match="approver"):
        p.carol.transition("m", 1, "retired")
    assert p.victor.get_version("m", 1).stage == "archived"
    assert p.bob.transition("m", 1, "retired").stage == "retired"


def test_an_owner_may_still_promote_with_an_approval_and_shelve_unserved_versions(
    people,
) -> None:
    p = people
    _in_production(p)
    assert p.victor.get_version("m", 1).stage == "production"
    p.carol.register_version("m", artifact_uri="s3://b/2", checksum=checksum(2))
    p.carol.transition("m", 2, "archived")
    assert p.carol.transition("m", 2, "retired").stage == "retired"
    # Not an owner: no moves at all, even with the promotion's approvals in place.
    with pytest.raises(PermissionDenied):
        p.dave.transition("m", 1, "archived")


def test_whoever_swapped_the_artifact_may_not_approve_it(people) -> None:
    p = people
    p.carol.create_model("m")
    v = p.carol.register_version("m", artifact_uri="s3://b/1", checksum=checksum(1))
    v = p.carol.transition("m", 1, "staging")
    p.admin.update_version(
        "m", 1, revision=v.revision, artifact_uri="s3://evil/1", checksum=checksum(666)
    )
    with pytest.raises(PermissionDenied, match="four-eyes"):
        p.admin.approve("m", 1)
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.admin.promote("m", 1)
    assert p.victor.get_version("m", 1).stage == "staging"
    # Someone else looks at the new artifact and approves it: now it may go.
    p.alice.approve("m", 1)
    assert p.admin.promote("m", 1).checksum == checksum(666)


def test_an_approval_given_before_swapping_back_does_not_count(people) -> None:
    # admin approves artifact A, swaps to B, swaps back to A: its approval of A is its
    # own change's approval now.
    p = people
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/1", checksum=checksum(1))
    v = p.carol.transition("m", 1, "staging")
    p.admin.approve("m", 1)
    v = p.admin.update_version(
        "m", 1, revision=v.revision, artifact_uri="s3://evil/1", checksum=checksum(666)
    )
    p.admin.update_version(
        "m", 1, revision=v.revision, artifact_uri="s3://b/1", checksum=checksum(1)
    )
    assert [a.valid for a in p.victor.approvals("m", 1)] == [False]
    with pytest.raises(ConflictError, match="needs 1 approval"):
        p.carol.promote("m", 1)


def test_a_trigger_registers_no_dataset_while_its_model_is_suspended(
    reg: dl.Registry, people
) -> None:
    p = people
    p.carol.create_model("m")
    trigger = reg.session(p.admin.create_trigger("m", "nightly"))
    assert trigger.register_dataset("train", FakeProfile({"x": [1, 2]})).version == 1
    p.admin.suspend("m", reason="incident")
    with pytest.raises(PermissionDenied, match="suspended"):
        trigger.register_dataset("train", FakeProfile({"x": [1, 2, 3]}))
    assert [d.version for d in p.victor.list_datasets("train")] == [1]
    p.admin.resume("m")
    assert trigger.register_dataset("train", FakeProfile({"x": [1, 2, 3]})).version == 2
