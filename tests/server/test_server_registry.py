"""The registry over REST: the lifecycle of a version, four-eyes, optimistic concurrency,
users and tokens, the audit trail; each outcome checked in the registry itself."""

from __future__ import annotations

import json

from server_helpers import World

API = "/api/v1"


def test_version_lifecycle_through_the_api(world: World) -> None:
    c, carol, alice = world.client, world.auth("carol"), world.auth("alice")
    body = {
        "artifact_uri": "s3://models/churn/2.onnx",
        "checksum": "sha256:" + "b" * 64,
        "metrics": {"auc": 0.93},
        "tags": {"team": "risk"},
        "parent": 1,
    }
    created = c.post(f"{API}/models/churn/versions", json=body, headers=carol)
    assert created.status_code == 201, created.text
    v = created.json()
    assert (v["version"], v["stage"], v["tags"]) == (2, "development", {"team": "risk"})

    moved = c.post(
        f"{API}/models/churn/versions/2/transition",
        json={"stage": "staging", "revision": v["revision"]},
        headers=carol,
    )
    assert moved.status_code == 200 and moved.json()["stage"] == "staging"
    stale = c.patch(
        f"{API}/models/churn/versions/2",
        json={"revision": v["revision"], "tags": {"team": "x"}},
        headers=carol,
    )
    assert stale.status_code == 409 and stale.json()["error"] == "conflict"

    # Four-eyes: the contributor cannot approve at all; the approver can.
    assert (
        c.post(f"{API}/models/churn/versions/2/approvals", json={}, headers=carol).status_code
        == 403
    )
    ok = c.post(
        f"{API}/models/churn/versions/2/approvals",
        json={"decision": "approve", "comment": "looks good"},
        headers=alice,
    )
    assert ok.status_code == 201 and ok.json()["valid"] is True
    promoted = c.post(f"{API}/models/churn/versions/2/promote", json={}, headers=alice)
    assert promoted.status_code == 200 and promoted.json()["stage"] == "production"

    alias = c.put(f"{API}/models/churn/aliases/champion", json={"version": 2}, headers=carol)
    assert alias.status_code == 200
    by_alias = c.get(f"{API}/models/churn/versions/champion", headers=world.auth("victor"))
    assert by_alias.json()["version"] == 2
    lineage = c.get(f"{API}/models/churn/versions/2/lineage", headers=world.auth("victor"))
    assert [n["version"] for n in lineage.json()] == [2, 1]

    admin = world.registry.session(world.tokens["root"])
    assert admin.get_model("churn").production_version == 2
    assert admin.get_model("churn").aliases == {"champion": 2}
    assert [a.approver for a in admin.approvals("churn", 2)] == ["alice"]
    assert world.registry.audit.verify().ok


def test_the_creator_cannot_approve_its_own_version(world: World) -> None:
    root = world.auth("root")
    body = {"artifact_uri": "s3://m/x.onnx", "checksum": "sha256:" + "c" * 64}
    assert world.client.post(f"{API}/models", json={"name": "own"}, headers=root).status_code == 201
    assert (
        world.client.post(f"{API}/models/own/versions", json=body, headers=root).status_code == 201
    )
    answer = world.client.post(f"{API}/models/own/versions/1/approvals", json={}, headers=root)
    assert answer.status_code == 403
    assert world.registry.session(world.tokens["root"]).approvals("own", 1) == []


def test_listing_filters(world: World) -> None:
    c, v = world.client, world.auth("victor")
    assert [
        x["version"] for x in c.get(f"{API}/models/churn/versions?stage=staging", headers=v).json()
    ] == [1]
    assert c.get(f"{API}/models/churn/versions?stage=production", headers=v).json() == []
    assert c.get(f"{API}/models/churn/versions?tag=team=none", headers=v).json() == []
    assert c.get(f"{API}/datasets", headers=v).json() == []


def test_users_and_tokens(world: World) -> None:
    c, root = world.client, world.auth("root")
    made = c.post(f"{API}/users", json={"name": "dora", "role": "viewer"}, headers=root)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    token = made.json()["token"]
    assert (
        c.get(f"{API}/whoami", headers={"Authorization": f"Bearer {token}"}).json()["name"]
        == "dora"
    )
    more = c.post(f"{API}/tokens", json={"user": "dora", "expires_in_seconds": 60}, headers=root)
    assert more.status_code == 201
    listed = c.get(f"{API}/tokens?user=dora", headers=root).json()
    assert len(listed) == 2 and all(t["id"].startswith("tok_") for t in listed)
    assert token not in json.dumps(listed)
    names = [u["name"] for u in c.get(f"{API}/users", headers=root).json()]
    assert "dora" in names
    bad_role = c.post(f"{API}/users", json={"name": "eve", "role": "god"}, headers=root)
    assert bad_role.status_code == 422


def test_audit_routes(world: World) -> None:
    c = world.client
    verify = c.get(f"{API}/audit/verify", headers=world.auth("alice")).json()
    assert verify["ok"] is True and verify["events"] > 5
    events = c.get(f"{API}/audit/events?actor=carol", headers=world.auth("alice")).json()
    assert events and {e["actor"] for e in events} == {"carol"}
    page = c.get(f"{API}/audit/events?since=2&limit=3", headers=world.auth("alice")).json()
    assert [e["seq"] for e in page] == [3, 4, 5]
    assert c.get(f"{API}/audit/export", headers=world.auth("alice")).status_code == 403
    export = c.get(f"{API}/audit/export", headers=world.auth("root"))
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert len(lines) == len(world.registry.audit.events())


def test_kill_switch_and_triggers(world: World) -> None:
    c, root = world.client, world.auth("root")
    made = c.post(f"{API}/models/churn/triggers", json={"name": "retrain-churn"}, headers=root)
    assert made.status_code == 201
    trigger = {"Authorization": f"Bearer {made.json()['token']}"}
    body = {"artifact_uri": "s3://m/cand.onnx", "checksum": "sha256:" + "d" * 64}
    cand = c.post(f"{API}/models/churn/versions", json=body, headers=trigger)
    assert cand.status_code == 201 and cand.json()["candidate"] is True
    assert (
        c.post(f"{API}/models/churn/versions/2/approvals", json={}, headers=trigger).status_code
        == 403
    )

    assert (
        c.post(f"{API}/models/churn/suspend", json={"reason": "incident"}, headers=root).status_code
        == 200
    )
    assert c.post(f"{API}/models/churn/versions", json=body, headers=trigger).status_code == 403
    assert c.post(f"{API}/models/churn/resume", headers=root).status_code == 200
    assert c.get(f"{API}/settings", headers=root).status_code == 200
