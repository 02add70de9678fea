"""Operator-declared monitors (``driftline serve --monitors``): the file is checked, secrets
and the registry token come from the environment, and the state file is fixed by name."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

pytest.importorskip("driftline._native", reason="the native module is not built")

import driftline as dl
from driftline.actions import Webhook
from driftline.server import create_app
from driftline.server.declared import load_serve_config

SECRET = "whsec_" + base64.b64encode(b"declared-test-secret-0123").decode()
CONFIG = """
state_dir = "state"

[[monitors]]
name = "churn"
model = "churn"
version = 1
window = 100

[[monitors.policies]]
type = "drift"

[[monitors.actions]]
type = "webhook"
url = "https://hooks.example.com/x"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "serve.toml"
    path.write_text(text)
    return path


def test_config_is_read_with_secrets_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTLINE_WEBHOOK_SECRET", SECRET)
    cfg = load_serve_config(_write(tmp_path, CONFIG))
    assert cfg.state_dir == tmp_path / "state"
    [declared] = cfg.monitors
    assert declared.config.name == "churn" and declared.config.window == 100
    [hook] = declared.actions
    assert isinstance(hook, Webhook) and hook.secrets == [SECRET]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CONFIG, "DRIFTLINE_WEBHOOK_SECRET"),
        (CONFIG.replace('type = "webhook"', 'type = "webhook"\nsecret = "x"'), "environment"),
        ("bogus = 1\n", "unknown top-level keys"),
        (CONFIG.replace("window = 100", "window = 0"), r"(?s)monitors\[0\]: .*window"),
        (CONFIG + CONFIG.split("state_dir", 1)[1].split("\n", 1)[1], "declared twice"),
    ],
)
def test_bad_files_are_refused_with_the_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.delenv("DRIFTLINE_WEBHOOK_SECRET", raising=False)
    if message != "DRIFTLINE_WEBHOOK_SECRET":
        monkeypatch.setenv("DRIFTLINE_WEBHOOK_SECRET", SECRET)
    with pytest.raises(ValueError, match=message):
        load_serve_config(_write(tmp_path, text))


def test_app_starts_declared_monitors_as_the_service_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    admin = reg.session(reg.bootstrap("root"))
    admin.create_model("churn")
    ref = pa.table({"x": np.random.default_rng(0).normal(size=1000)})
    admin.register_version(
        "churn",
        artifact_uri="s3://c/1",
        checksum="sha256:" + "c" * 64,
        reference_profile=dl.profile(ref),
    )
    monkeypatch.setenv("DRIFTLINE_WEBHOOK_SECRET", SECRET)
    path = _write(tmp_path, CONFIG)
    monkeypatch.delenv("DRIFTLINE_SERVE_TOKEN", raising=False)
    with pytest.raises(ValueError, match="DRIFTLINE_SERVE_TOKEN"):
        create_app(registry=reg, monitors=path, dashboard=False)
    monkeypatch.setenv("DRIFTLINE_SERVE_TOKEN", admin.create_user("svc", role="viewer"))
    app = create_app(registry=reg, monitors=path, dashboard=False)
    try:
        served = app.state.monitors.get("churn")
        assert served.created_by == "svc"
        assert served.monitor.outbox.path == str(tmp_path / "state" / "declared-churn.db")
    finally:
        app.state.monitors.close()
        reg.close()
