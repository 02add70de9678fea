"""Identities: bootstrap, tokens (hash only, expiry, revocation), roles, owners, denials."""

from __future__ import annotations

import hashlib
import time

import pytest
from registry_helpers import CHECKSUM, raw_engine

import driftline as dl
from driftline.exceptions import ConflictError, InvalidParameter, NotFound, PermissionDenied


def _denials(reg: dl.Registry) -> list[dict]:
    return [e.after for e in reg.audit.events() if e.action == "denied"]


def test_bootstrap_once(reg: dl.Registry) -> None:
    token = reg.bootstrap("root")
    assert token.startswith("dlt_") and len(token) >= 4 + 43
    with pytest.raises(PermissionDenied, match="already bootstrapped"):
        reg.bootstrap("mallory")
    assert _denials(reg)[-1]["attempted"] == "bootstrap"


def test_tokens_stored_only_as_hashes(reg: dl.Registry) -> None:
    token = reg.bootstrap("root")
    admin = reg.session(token)
    other = admin.create_user("carol", role="viewer")
    with raw_engine(reg).connect() as conn:
        dump = "\n".join(
            str(row)
            for table in ("tokens", "users", "audit_events")
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
        )
    for secret in (token, other):
        assert secret not in dump
        assert secret[4:20] not in dump
        assert hashlib.sha256(secret.encode()).hexdigest() in dump
    assert token not in repr(admin)


def test_tokens_are_distinct_and_random(reg: dl.Registry) -> None:
    admin = reg.session(reg.bootstrap("root"))
    tokens = {admin.create_token("root") for _ in range(20)}
    assert len(tokens) == 20


def test_bad_token_is_denied_and_audited(reg: dl.Registry) -> None:
    reg.bootstrap("root")
    with pytest.raises(PermissionDenied):
        reg.session("dlt_" + "x" * 43)
    with pytest.raises(PermissionDenied):
        reg.session("not a token")
    assert len(_denials(reg)) == 2
    assert reg.audit.verify().ok


def test_revocation_takes_effect_on_next_call(reg: dl.Registry) -> None:
    admin = reg.session(reg.bootstrap("root"))
    token = admin.create_user("carol", role="contributor")
    carol = reg.session(token)
    carol.create_model("m1")
    [info] = admin.list_tokens("carol")
    admin.revoke_token(info.id)
    with pytest.raises(PermissionDenied, match="revoked"):
        carol.create_model("m2")
    with pytest.raises(PermissionDenied, match="revoked"):
        carol.list_models()
    assert [d["attempted"] for d in _denials(reg)] == ["model.create", "read"]
    assert admin.list_tokens("carol")[0].revoked_at is not None


def test_expiry(reg: dl.Registry) -> None:
    admin = reg.session(reg.bootstrap("root"))
    token = admin.create_user("temp", role="viewer", expires_in=0.3)
    temp = reg.session(token)
    assert temp.list_models() == []
    time.sleep(0.4)
    with pytest.raises(PermissionDenied, match="expired"):
        temp.list_models()
    with pytest.raises(InvalidParameter):
        admin.create_user("x", expires_in=-1)


def test_disabled_user(reg: dl.Registry) -> None:
    admin = reg.session(reg.bootstrap("root"))
    viewer = reg.session(admin.create_user("v", role="viewer"))
    admin.disable_user("v")
    with pytest.raises(PermissionDenied, match="disabled"):
        viewer.list_models()


def test_role_matrix(people) -> None:
    p = people
    # viewer reads, never writes
    assert p.victor.list_models() == []
    with pytest.raises(PermissionDenied):
        p.victor.create_model("v-model")
    # approvers do not create models; contributors do not manage users
    with pytest.raises(PermissionDenied):
        p.alice.create_model("a-model")
    with pytest.raises(PermissionDenied):
        p.carol.create_user("eve", role="admin")
    with pytest.raises(PermissionDenied):
        p.carol.set_role("carol", "admin")
    with pytest.raises(PermissionDenied):
        p.carol.list_tokens("root")
    assert p.carol.list_tokens("carol")[0].user == "carol"
    # contributors approve nothing
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    with pytest.raises(PermissionDenied):
        p.dave.approve("m", 1)


def test_owners_only(people) -> None:
    p = people
    p.carol.create_model("m")
    assert p.carol.get_model("m").owners == ("carol",)
    with pytest.raises(PermissionDenied, match="not an owner"):
        p.dave.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    p.admin.add_owner("m", "dave")
    v = p.dave.register_version("m", artifact_uri="s3://b/m", checksum=CHECKSUM)
    assert v.version == 1 and v.created_by == "dave"
    p.admin.remove_owner("m", "dave")
    with pytest.raises(PermissionDenied):
        p.dave.set_alias("m", "champion", 1)


def test_role_change_applies_next_call(people) -> None:
    p = people
    with pytest.raises(PermissionDenied):
        p.victor.create_model("x")
    p.admin.set_role("victor", "contributor")
    assert p.victor.create_model("x").owners == ("victor",)
    with pytest.raises(InvalidParameter):
        p.admin.set_role("victor", "superuser")


def test_user_errors(people) -> None:
    with pytest.raises(ConflictError):
        people.admin.create_user("carol", role="viewer")
    with pytest.raises(NotFound):
        people.admin.create_token("nobody")
    with pytest.raises(NotFound):
        people.admin.revoke_token("tok_nope")
    assert {u.name for u in people.victor.list_users()} >= {"root", "carol", "victor"}
    assert people.victor.whoami().role == "viewer"
