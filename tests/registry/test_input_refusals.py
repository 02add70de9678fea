"""Bad input is refused with InvalidParameter (or ConflictError) naming the field, and the
database is left as it was: no raw TypeError, OverflowError, UnicodeEncodeError or
database error, no half-written call."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa
from registry_helpers import CHECKSUM, FakeProfile, checksum, raw_engine

import driftline as dl
from driftline.exceptions import ConflictError, InvalidParameter, PermissionDenied

SURROGATE = "\ud800"


def _rows(reg: dl.Registry) -> dict[str, int]:
    """Row counts of the tables a refused call must not touch."""
    with raw_engine(reg).connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("versions", "approvals", "datasets", "profiles", "tokens", "users")
        }


def _self_referencing() -> dict[str, Any]:
    inner: dict[str, Any] = {}
    inner["me"] = inner
    return {"a": inner}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("params", {"a": {1: "x", "b": "y"}}),
        ("params", {"a": {(1, 2): "x"}}),
        ("params", _self_referencing()),
        ("params", {"a": SURROGATE}),
        ("metrics", {"m": np.array([1.0, 2.0])}),
        ("metrics", {"m": np.float32("nan")}),
    ],
)
def test_unstorable_payloads(reg: dl.Registry, people, field: str, value: Any) -> None:
    p = people
    p.carol.create_model("m")
    before = _rows(reg)
    with pytest.raises(InvalidParameter, match=field):
        p.carol.register_version("m", artifact_uri="s3://b/1", checksum=CHECKSUM, **{field: value})
    assert _rows(reg) == before


def test_unstorable_evidence(people) -> None:
    p = people
    p.carol.create_model("m")
    p.carol.register_version("m", artifact_uri="s3://b/1", checksum=CHECKSUM)
    with pytest.raises(InvalidParameter, match="evidence"):
        p.alice.approve("m", 1, evidence={"passed": True, "by": {1: "a", "b": "c"}})
    assert p.victor.approvals("m", 1) == []


def test_lone_surrogates_in_text(reg: dl.Registry, people) -> None:
    p = people
    with pytest.raises(InvalidParameter, match="description"):
        p.carol.create_model("m", description=SURROGATE)
    p.carol.create_model("m")
    with pytest.raises(InvalidParameter, match="tag 'k'"):
        p.carol.register_version(
            "m", artifact_uri="s3://b/1", checksum=CHECKSUM, tags={"k": SURROGATE}
        )
    p.carol.register_version("m", artifact_uri="s3://b/1", checksum=CHECKSUM)
    with pytest.raises(InvalidParameter, match="comment"):
        p.alice.approve("m", 1, comment="ok " + SURROGATE)
    with pytest.raises(InvalidParameter, match="reason"):
        p.admin.suspend("m", reason=SURROGATE)
    assert not p.victor.get_model("m").suspended
    assert p.victor.approvals("m", 1) == []
    assert reg.audit.verify().ok


@pytest.mark.parametrize("expires_in", [1e20, math.inf, math.nan, -1, 0, timedelta(days=999999999)])
def test_token_lifetimes_out_of_range(reg: dl.Registry, people, expires_in: Any) -> None:
    p = people
    before = _rows(reg)
    with pytest.raises(InvalidParameter, match="expires_in"):
        p.admin.create_user("u", expires_in=expires_in)
    with pytest.raises(InvalidParameter, match="expires_in"):
        p.admin.create_token("carol", expires_in=expires_in)
    assert _rows(reg) == before


def test_a_long_token_lifetime_within_bounds(reg: dl.Registry, people) -> None:
    token = people.admin.create_token("carol", expires_in=timedelta(days=3650))
    assert reg.session(token).user == "carol"


@pytest.mark.parametrize(
    ("option", "value"),
    [("limit", "abc"), ("offset", "x"), ("limit", -1), ("offset", True), ("limit", 2**70)],
)
def test_listing_bounds(people, option: str, value: Any) -> None:
    with pytest.raises(InvalidParameter, match=option):
        people.victor.list_versions(**{option: value})


def test_listing_bounds_that_work(people) -> None:
    p = people
    p.carol.create_model("m")
    for i in range(3):
        p.carol.register_version("m", artifact_uri=f"s3://b/{i}", checksum=checksum(i))
    assert [v.version for v in p.victor.list_versions("m", limit=1, offset=1)] == [2]


def test_register_versions_takes_specs_only(reg: dl.Registry, people) -> None:
    p = people
    p.carol.create_model("m")
    with pytest.raises(InvalidParameter, match="VersionSpec"):
        p.carol.register_versions("m", [{"artifact_uri": "s3://b/1", "checksum": CHECKSUM}])
    assert p.victor.list_versions("m") == []


def test_framework_bounded_by_its_column(reg: dl.Registry, people) -> None:
    p = people
    p.carol.create_model("m")
    with pytest.raises(InvalidParameter, match="framework is 65 characters long; at most 64"):
        p.carol.register_version(
            "m", artifact_uri="s3://b/1", checksum=CHECKSUM, framework="f" * 65
        )
    assert p.victor.list_versions("m") == []
    v = p.carol.register_version(
        "m", artifact_uri="s3://b/1", checksum=CHECKSUM, framework="f" * 64
    )
    assert v.framework == "f" * 64


def test_profile_fingerprint_bounded_by_its_column(people) -> None:
    profile = FakeProfile({"x": [1]})
    profile.fingerprint = "f" * 129
    with pytest.raises(InvalidParameter, match="fingerprint"):
        people.carol.register_dataset("d", profile)
    assert people.victor.list_datasets() == []


@pytest.mark.parametrize("value", ["false", "true", 0, 1])
def test_require_evidence_takes_a_bool(people, value: Any) -> None:
    with pytest.raises(InvalidParameter, match="require_evidence"):
        people.admin.configure(require_evidence=value)
    assert people.admin.settings()["require_evidence"] == "false"
    assert people.admin.configure(require_evidence=False)["require_evidence"] == "false"


def test_checksum_without_artifact_uri_is_refused(people) -> None:
    p = people
    p.carol.create_model("m")
    v = p.carol.register_version("m", artifact_uri="s3://b/1", checksum=checksum(1))
    with pytest.raises(InvalidParameter, match="artifact_uri"):
        p.carol.update_version("m", 1, revision=v.revision, checksum=checksum(2))
    after = p.victor.get_version("m", 1)
    assert (after.checksum, after.revision) == (checksum(1), v.revision)


def test_dataset_names_that_read_as_versions(people) -> None:
    p = people
    p.carol.register_dataset("train", FakeProfile({"x": [1, 2]}))
    with pytest.raises(InvalidParameter, match="dataset name"):
        p.carol.register_dataset("train@1", FakeProfile({"x": [3]}))
    assert [d.name for d in p.victor.list_datasets()] == ["train"]
    # An '@' elsewhere is fine.
    assert p.carol.register_dataset("train@v2", FakeProfile({"x": [3]})).version == 1


def test_registering_earlier_content_again_returns_its_version(people) -> None:
    p = people
    a, b = FakeProfile({"x": [1, 2]}), FakeProfile({"x": [3, 4]})
    assert p.carol.register_dataset("d", a).version == 1
    assert p.carol.register_dataset("d", b).version == 2
    assert p.carol.register_dataset("d", a).version == 1
    assert [d.version for d in p.victor.list_datasets("d")] == [1, 2]
    assert p.carol.register_dataset("d", FakeProfile({"x": [5]})).version == 3


@pytest.mark.parametrize("uri", ["s3://b/..%00/x", "file:///etc/passwd%0a", "s3://b/%2500x"])
def test_percent_encoded_control_characters(people, uri: str) -> None:
    p = people
    p.carol.create_model("m")
    with pytest.raises(InvalidParameter, match="control characters"):
        p.carol.register_version("m", artifact_uri=uri, checksum=CHECKSUM)


def test_the_last_admin_stays(reg: dl.Registry, people) -> None:
    p = people
    with pytest.raises(ConflictError, match="last active admin"):
        p.admin.set_role("root", "viewer")
    with pytest.raises(ConflictError, match="last active admin"):
        p.admin.disable_user("root")
    assert p.admin.whoami().role == "admin"
    root2 = reg.session(p.admin.create_user("root2", role="admin"))
    p.admin.set_role("root", "viewer")
    with pytest.raises(PermissionDenied):
        p.admin.create_user("x")
    with pytest.raises(ConflictError, match="last active admin"):
        root2.disable_user("root2")
    assert root2.whoami().role == "admin"
    assert reg.audit.verify().ok


def test_reference_profile_bytes_must_decode(reg: dl.Registry, people) -> None:
    p = people
    p.carol.create_model("m")
    before = _rows(reg)
    with pytest.raises(InvalidParameter, match="reference_profile"):
        p.carol.register_version(
            "m", artifact_uri="s3://b/1", checksum=CHECKSUM, reference_profile=b"garbage"
        )
    assert _rows(reg) == before
    real = dl.profile(pa.table({"x": [1, 2, 3]}))
    v = p.carol.register_version(
        "m", artifact_uri="s3://b/1", checksum=CHECKSUM, reference_profile=real.to_bytes()
    )
    assert v.has_reference_profile
