"""Dataset references (``name@version``) whose version no database column can hold, or
whose digits are not ASCII: refused as NotFound, never as a driver overflow or int() error."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from registry_helpers import FakeProfile

import driftline as dl
from driftline.exceptions import NotFound
from driftline.server import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HUGE = "99999999999999999999999"  # > 2**63 - 1: no 64-bit version column holds it
PROFILE = FakeProfile({"id": [1, 2, 3]})


@pytest.fixture
def client(reg: dl.Registry) -> Iterator[Any]:
    with TestClient(create_app(registry=reg), base_url="http://127.0.0.1") as c:
        yield c


@pytest.mark.parametrize("ref", [f"x@{HUGE}", f"x@{2**63}", "x@²", "x@١", "x@-1"])
def test_unreadable_version_is_not_found(people, ref: str) -> None:
    people.carol.register_dataset("x", PROFILE)
    with pytest.raises(NotFound, match="dataset"):
        people.victor.get_dataset(ref)


def test_largest_int64_version_is_looked_up(people) -> None:
    people.carol.register_dataset("x", PROFILE)
    with pytest.raises(NotFound, match=f"x@{2**63 - 1}"):
        people.victor.get_dataset(f"x@{2**63 - 1}")
    assert people.victor.get_dataset("x@1").version == 1


def test_ascii_version_still_resolves(people) -> None:
    people.carol.register_dataset("x", PROFILE)
    people.carol.register_dataset("x", FakeProfile({"id": [4]}))
    assert people.victor.get_dataset("x@2").version == 2
    assert people.victor.get_dataset("x@01").version == 1
    assert people.victor.get_dataset("x").version == 2


def test_huge_version_over_http_is_404(people, client: Any) -> None:
    admin = {"Authorization": f"Bearer {people.tokens['root']}"}
    answer = client.get(f"/api/v1/datasets/x@{HUGE}", headers=admin)
    assert answer.status_code == 404, answer.text
    assert HUGE in answer.text


def test_register_version_with_huge_dataset_ref_is_404(people, client: Any) -> None:
    people.carol.create_model("churn")
    carol = {"Authorization": f"Bearer {people.tokens['carol']}"}
    body = {
        "artifact_uri": "s3://m/1",
        "checksum": "sha256:" + "a" * 64,
        "training_dataset": f"d@{HUGE}",
    }
    answer = client.post("/api/v1/models/churn/versions", json=body, headers=carol)
    assert answer.status_code == 404, answer.text
    assert people.victor.list_versions("churn") == []


@pytest.mark.parametrize("number", [2**31, 2**40, 2**63 - 1, -(2**31) - 1])
def test_a_model_version_beyond_the_stored_range_is_not_found(people, number: int) -> None:
    # Version numbers are INTEGER columns (32 bits on PostgreSQL, whose driver refuses a
    # bigger number with a raw error): such a number names no version.
    people.carol.create_model("churn")
    people.carol.register_version("churn", artifact_uri="s3://m/1", checksum="sha256:" + "c" * 64)
    with pytest.raises(NotFound, match=f"no version {number}"):
        people.victor.get_version("churn", number)
    assert people.victor.get_version("churn", 1).version == 1
