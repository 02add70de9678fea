"""Models named "." or "..": their dashboard links must survive a browser's dot-segment
removal (RFC 3986 5.2.4) and reach the model, not /ui/."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

import driftline as dl
from driftline.dashboard.html import path_part
from driftline.server import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NAMES = [".", "..", "...", "a.b", ".hidden", "x/y", "50%"]


@pytest.mark.parametrize("name", NAMES)
def test_path_part_survives_url_resolution(name: str) -> None:
    href = f"/ui/models/{path_part(name)}"
    # urljoin resolves a reference as a browser does, dot-segments included.
    resolved = urlsplit(urljoin("http://127.0.0.1/ui/", href)).path
    assert resolved == href
    assert unquote(resolved.removeprefix("/ui/models/")) == name


def test_dot_named_models_are_reachable_from_the_dashboard(tmp_path: Path) -> None:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    token = reg.bootstrap("root")
    admin = reg.session(token)
    for name in (".", ".."):
        admin.create_model(name)
        admin.register_version(name, artifact_uri="s3://m/1", checksum="sha256:" + "a" * 64)
    with TestClient(create_app(registry=reg), base_url="http://127.0.0.1") as client:
        assert client.post("/ui/login", data={"token": token}).status_code == 200
        home = client.get("/ui/").text
        hrefs = re.findall(r'href="(/ui/models/[^"]*)"', home)
        assert len(hrefs) == 2
        for href in hrefs:
            url = urljoin("http://127.0.0.1/ui/", href)
            page = client.get(url)
            assert page.status_code == 200
            title = re.findall(r"<h1>Model (.*?)</h1>", page.text)
            assert title and title[0] in (".", "..")
            versions = re.findall(r'href="(/ui/models/[^"]*/versions/1)"', page.text)
            assert client.get(urljoin(url, versions[0])).status_code == 200
    reg.close()
