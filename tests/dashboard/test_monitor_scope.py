"""A retraining trigger logged into the dashboard sees the monitors the API lets it act on:
those of the model it is bound to, no other."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
from http_world import CHECKSUM, world  # type: ignore[import-not-found]

import driftline as dl


def _listed(html: str) -> set[str]:
    return set(re.findall(r'href="/ui/monitors/([^"?]+)"', html))


def test_a_trigger_sees_only_its_models_monitors(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        carol = w.session("carol")
        reference = dl.profile(pa.table({"x": np.linspace(0.0, 1.0, 200)}))
        for model in ("churn", "fraud"):
            carol.create_model(model)
            v = carol.register_version(
                model, artifact_uri=f"s3://{model}", checksum=CHECKSUM, reference_profile=reference
            )
            config = {"name": f"{model}-prod", "model": model, "version": v.version}
            created = w.client.post("/api/v1/monitors", json=config, headers=w.bearer("carol"))
            assert created.status_code == 201, created.text
        answer = w.client.post(
            "/api/v1/models/churn/triggers", json={"name": "retrain"}, headers=w.bearer("root")
        )
        w.tokens["trigger"] = answer.json()["token"]

        # The independent expectation: what the API answers the same token.
        api = w.client.get("/api/v1/monitors", headers=w.bearer("trigger")).json()
        assert {m["name"] for m in api} == {"churn-prod"}
        refused = w.client.get("/api/v1/monitors/fraud-prod", headers=w.bearer("trigger"))
        assert refused.status_code == 403

        w.login("trigger")
        assert _listed(w.client.get("/ui/monitors").text) == {m["name"] for m in api}
        assert w.client.get("/ui/monitors/churn-prod").status_code == 200
        other = w.client.get("/ui/monitors/fraud-prod")
        assert other.status_code == refused.status_code
        assert "Monitor fraud-prod" not in other.text

        # A person still sees every monitor.
        w.login("victor")
        assert _listed(w.client.get("/ui/monitors").text) == {"churn-prod", "fraud-prod"}
        assert w.client.get("/ui/monitors/fraud-prod").status_code == 200
