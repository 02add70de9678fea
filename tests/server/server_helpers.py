"""Helpers of the server tests: a file-backed registry with one user per role, an app over
it, and a test client (in-process ASGI: nothing listens on a port)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import driftline as dl
from driftline.server import create_app

with warnings.catch_warnings():
    # starlette's TestClient warns about its httpx backend at import time only.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

__all__ = ["TestClient", "World", "make_world"]


@dataclass
class World:
    """A registry with a user per role, an app and a client, and the users' tokens."""

    registry: Any
    app: Any
    client: TestClient
    tokens: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        """The Authorization header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def make_world(tmp_path: Path, **app_options: Any) -> World:
    """Build a registry (root admin, carol contributor, alice approver, victor viewer) with
    model ``churn`` v1 by carol in staging, and an app over it."""
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    tokens = {"root": reg.bootstrap("root")}
    admin = reg.session(tokens["root"])
    for name, role in (("carol", "contributor"), ("alice", "approver"), ("victor", "viewer")):
        tokens[name] = admin.create_user(name, role=role)
    carol = reg.session(tokens["carol"])
    carol.create_model("churn", description="monthly churn")
    carol.register_version(
        "churn",
        artifact_uri="s3://models/churn/1.onnx",
        checksum="sha256:" + "a" * 64,
        metrics={"auc": 0.91},
    )
    carol.transition("churn", 1, "staging")
    app = create_app(registry=reg, **app_options)
    return World(reg, app, TestClient(app, base_url="http://127.0.0.1"), tokens)
