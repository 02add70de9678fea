"""Policy configurations over HTTP: what the policies refuse answers 422 naming the
argument, and no monitor is created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from server_helpers import World, make_world

pytest.importorskip("driftline._native", reason="the native module is not built")

import driftline as dl

API = "/api/v1"


@pytest.fixture
def world_with_reference(tmp_path: Path, rng: np.random.Generator) -> World:
    w = make_world(tmp_path)
    w.registry.session(w.tokens["carol"]).register_version(
        "churn",
        artifact_uri="s3://models/churn/2.onnx",
        checksum="sha256:" + "e" * 64,
        reference_profile=dl.profile(pa.table({"x": rng.normal(0, 1, 500)})),
    )
    return w


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"type": "performance", "metric": "acuracy", "floor": 0.8}, "unknown metric 'acuracy'"),
        ({"type": "drift", "features": 2, "clear": 1}, "clear_features"),
        ({"type": "fairness", "metric": "disparte_impact", "minimum": 0.8}, "unknown metric"),
        ({"type": "performance", "floor": 0.8, "drop": 0.1}, "baseline= and drop="),
        ({"type": "data_quality", "range_violations": 2.0}, "range_violations"),
    ],
)
def test_refused_policy_is_422(
    world_with_reference: World, policy: dict[str, Any], message: str
) -> None:
    w = world_with_reference
    config = {"name": "m", "model": "churn", "version": 2, "policies": [policy]}
    with w.client:
        r = w.client.post(f"{API}/monitors", json=config, headers=w.auth("carol"))
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_parameter"
        assert message in r.json()["detail"]
        assert w.client.get(f"{API}/monitors", headers=w.auth("carol")).json() == []


def test_known_metric_is_201(world_with_reference: World) -> None:
    w = world_with_reference
    policy = {"type": "performance", "metric": "accuracy", "floor": 0.8}
    config = {"name": "m", "model": "churn", "version": 2, "policies": [policy]}
    with w.client:
        r = w.client.post(f"{API}/monitors", json=config, headers=w.auth("carol"))
    assert r.status_code == 201, r.text
