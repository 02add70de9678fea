"""Operations: health probes, Prometheus metrics, the dashboard's login and CSRF, and
``driftline serve`` answering on loopback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import World
from typer.testing import CliRunner

import driftline as dl
from driftline.server import create_app


def test_probes_are_public_and_terse(world: World) -> None:
    assert world.client.get("/healthz").json() == {"status": "ok"}
    assert world.client.get("/readyz").json() == {"status": "ready"}


def test_readyz_fails_when_the_registry_does_not_answer() -> None:
    class Broken:
        class audit:  # noqa: N801 - mimics the registry's attribute
            @staticmethod
            def events(**_: Any) -> Any:
                raise OSError("database unavailable: /secret/path")

    from server_helpers import TestClient

    answer = TestClient(create_app(registry=Broken(), dashboard=False)).get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable"}


def test_metrics_need_a_token_and_label_by_route_template(world: World) -> None:
    assert world.client.get("/metrics").status_code == 401
    world.client.get("/api/v1/models/some-secret-name", headers=world.auth("victor"))
    answer = world.client.get("/metrics", headers=world.auth("victor"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'route="/api/v1/models/{model}"' in text
    assert "some-secret-name" not in text
    assert re.search(
        r'driftline_http_requests_total\{method="GET",route="/metrics",status="401"\}', text
    )
    assert "driftline_http_request_duration_seconds_bucket" in text


def _login(world: World, user: str) -> str:
    answer = world.client.post(
        "/ui/login", data={"token": world.tokens[user]}, follow_redirects=False
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert world.tokens[user] not in cookie
    page = world.client.get("/ui/models/churn/versions/1").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_dashboard_login_and_pages(world: World) -> None:
    bad = world.client.post("/ui/login", data={"token": "dlt_" + "x" * 43})
    assert bad.status_code == 401 and "refused" in bad.text
    _login(world, "victor")
    for path in ("/ui/", "/ui/models/churn", "/ui/models/churn/versions/1"):
        answer = world.client.get(path)
        assert answer.status_code == 200, path
        assert world.tokens["victor"] not in answer.text
    assert 'id="decision-form"' not in world.client.get("/ui/models/churn/versions/1").text
    refused = world.client.get("/ui/audit")
    assert refused.status_code == 403 and "Forbidden" in refused.text
    assert world.client.get("/ui/models/nope").status_code == 404


def test_dashboard_decision_needs_csrf(world: World) -> None:
    csrf = _login(world, "alice")
    url = "/ui/models/churn/versions/1/decision"
    forged = world.client.post(url, data={"decision": "approve"}, follow_redirects=False)
    assert forged.status_code == 403
    assert world.registry.session(world.tokens["root"]).approvals("churn", 1) == []
    done = world.client.post(
        url, data={"decision": "approve", "csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert [
        a.approver for a in world.registry.session(world.tokens["root"]).approvals("churn", 1)
    ] == ["alice"]


def test_dashboard_logout_forgets_the_session(world: World) -> None:
    csrf = _login(world, "victor")
    assert (
        world.client.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False).status_code
        == 303
    )
    assert world.client.get("/ui/", follow_redirects=False).status_code == 303


def test_serve_command_is_registered() -> None:
    from driftline.cli.app import _register_commands, app

    _register_commands()
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--registry" in result.output and "127.0.0.1" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(120)
def test_driftline_serve_answers_on_loopback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    token = dl.Registry(url).bootstrap("root")
    port = _free_port()
    code = "from driftline.cli.app import main; main()"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--registry", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        models = httpx.get(f"{base}/api/v1/models", headers={"Authorization": f"Bearer {token}"})
        assert models.status_code == 200 and models.json() == []
        odd = httpx.get(f"{base}/api/v1/models/a%2Fb", headers={"Authorization": f"Bearer {token}"})
        assert odd.status_code == 404
        assert "server" not in odd.headers
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert token not in out.decode(errors="replace")
