"""A version path segment is a number only when it is ASCII digits: Python's int() also
reads other scripts' digits, so '١' (Arabic-Indic one) used to name version 1."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import driftline as dl
from driftline.server import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.mark.parametrize(("ref", "status"), [("1", 200), ("١", 404), ("۱", 404), ("１", 404)])
def test_only_ascii_digits_name_a_version(tmp_path: Path, ref: str, status: int) -> None:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    token = reg.bootstrap("root")
    admin = reg.session(token)
    admin.create_model("churn")
    admin.register_version("churn", artifact_uri="s3://m/1", checksum="sha256:" + "a" * 64)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(registry=reg), base_url="http://127.0.0.1") as client:
        r = client.get(f"/api/v1/models/churn/versions/{ref}", headers=headers)
        assert r.status_code == status, r.text
        if status == 200:
            assert r.json()["version"] == 1
    reg.close()
