"""A registry with four users behind an in-process dashboard client (nothing listens),
shared by the dashboard's HTTP tests."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import driftline as dl
from driftline.server import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CHECKSUM = "sha256:" + "a" * 64


@dataclass
class World:
    """The registry, the app, a client on it and each user's token."""

    registry: Any
    app: Any
    client: Any
    tokens: dict[str, str]

    def session(self, user: str) -> Any:
        """A registry session of ``user``."""
        return self.registry.session(self.tokens[user])

    def bearer(self, user: str) -> dict[str, str]:
        """API headers of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def login(self, user: str) -> str:
        """Open a dashboard session for ``user`` (as a script would: no browser headers);
        its CSRF token."""
        answer = self.client.post(
            "/ui/login", data={"token": self.tokens[user]}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        found = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/ui/").text)
        assert found
        return found.group(1)


@contextmanager
def world(tmp_path: Path, *, raise_server_exceptions: bool = True) -> Iterator[World]:
    """Users root (admin), carol (contributor), alice (approver), victor (viewer)."""
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    tokens = {"root": reg.bootstrap("root")}
    admin = reg.session(tokens["root"])
    for name, role in (("carol", "contributor"), ("alice", "approver"), ("victor", "viewer")):
        tokens[name] = admin.create_user(name, role=role)
    app = create_app(registry=reg)
    client = TestClient(
        app, base_url="http://127.0.0.1", raise_server_exceptions=raise_server_exceptions
    )
    try:
        with client:
            yield World(reg, app, client, tokens)
    finally:
        reg.close()
