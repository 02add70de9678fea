"""Dashboard routes given numbers no database column holds, metrics no float holds, and
decisions on what does not exist: a 4xx answer, never a 500."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import driftline as dl
from driftline.dashboard.pages import _as_float
from driftline.server import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HUGE = 99999999999999999999  # > 2**63 - 1


@dataclass
class World:
    registry: Any
    client: Any
    tokens: dict[str, str]

    def login(self, user: str) -> str:
        """Open a dashboard session for ``user``; its CSRF token."""
        answer = self.client.post(
            "/ui/login", data={"token": self.tokens[user]}, follow_redirects=False
        )
        assert answer.status_code == 303
        found = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/ui/").text)
        assert found
        return found.group(1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    tokens = {"root": reg.bootstrap("root")}
    admin = reg.session(tokens["root"])
    for name, role in (("carol", "contributor"), ("alice", "approver"), ("victor", "viewer")):
        tokens[name] = admin.create_user(name, role=role)
    carol = reg.session(tokens["carol"])
    carol.create_model("churn")
    carol.register_version("churn", artifact_uri="s3://m/1", checksum="sha256:" + "a" * 64)
    carol.transition("churn", 1, "staging")
    with TestClient(create_app(registry=reg), base_url="http://127.0.0.1") as client:
        yield World(reg, client, tokens)
    reg.close()


def test_audit_since_beyond_int64_is_422(world: World) -> None:
    world.login("root")
    answer = world.client.get(f"/ui/audit?since={HUGE}")
    assert answer.status_code == 422, answer.text
    assert "since" in answer.json()["detail"]
    assert world.client.get(f"/ui/audit?since={2**63 - 1}").status_code == 200


def test_decision_on_version_beyond_int64_is_422(world: World) -> None:
    csrf = world.login("alice")
    answer = world.client.post(
        f"/ui/models/churn/versions/{HUGE}/decision",
        data={"decision": "approve", "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.text
    assert "version" in answer.json()["detail"]


@pytest.mark.parametrize("path", ["/ui/models/nope/versions/1", "/ui/models/churn/versions/7"])
def test_decision_on_unknown_model_or_version_is_404(world: World, path: str) -> None:
    csrf = world.login("alice")
    answer = world.client.post(
        f"{path}/decision", data={"decision": "approve", "csrf": csrf}, follow_redirects=False
    )
    assert answer.status_code == 404, answer.text
    assert "NotFound" in answer.text


def test_decision_with_refused_comment_is_422(world: World) -> None:
    csrf = world.login("alice")
    answer = world.client.post(
        "/ui/models/churn/versions/1/decision",
        data={"decision": "approve", "csrf": csrf, "comment": "x" * 70_000},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.text[:300]
    assert "InvalidParameter" in answer.text and "comment" in answer.text


def test_huge_integer_metric_does_not_break_the_model_page(world: World) -> None:
    huge = 10**400  # valid JSON, beyond any float
    carol = {"Authorization": f"Bearer {world.tokens['carol']}"}
    body = {
        "artifact_uri": "s3://m/2",
        "checksum": "sha256:" + "b" * 64,
        "metrics": {"auc": huge, "f1": 0.5},
    }
    posted = world.client.post("/api/v1/models/churn/versions", json=body, headers=carol)
    assert posted.status_code == 201, posted.text
    world.login("victor")
    page = world.client.get("/ui/models/churn")
    assert page.status_code == 200, page.text[:300]
    assert f"auc={huge}" in page.text  # the table shows the stored value as text
    assert 'id="chart-metrics"' in page.text  # f1 is still charted


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10**400, None),
        (-(10**400), None),
        (2**53 + 1, float(2**53 + 1)),
        (0.25, 0.25),
        (3, 3.0),
        (True, None),
        ("0.9", None),
        (math.inf, None),
        (math.nan, None),
        ({"a": 1}, None),
    ],
)
def test_metric_values_charted_only_when_finite(value: Any, expected: float | None) -> None:
    assert _as_float(value) == expected
