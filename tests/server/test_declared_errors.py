"""``driftline serve --monitors``: a mistake in the file is an InvalidParameter naming the
file, the table and the key, and the command exits with that message, not a traceback."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("driftline._native", reason="the native module is not built")

from driftline.cli import app
from driftline.exceptions import InvalidParameter
from driftline.server.declared import load_serve_config

SECRET = "whsec_" + base64.b64encode(b"declared-test-secret-0123").decode()
HEAD = """
state_dir = "state"

[[monitors]]
name = "churn"
model = "churn"
version = 1
window = 100
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "serve.toml"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTLINE_WEBHOOK_SECRET", SECRET)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (
            '[[monitors.actions]]\ntype = "webhook"\n',
            r"monitors\[0\]\.actions\[0\] \(webhook\): missing key 'url'",
        ),
        (
            '[[monitors.actions]]\ntype = "command"\n',
            r"monitors\[0\]\.actions\[0\] \(command\): missing key 'argv'",
        ),
        (
            '[[monitors.actions]]\ntype = "webhook"\nurl = "https://h.example/x"\nmax_backoff = -1\n',
            r"monitors\[0\]\.actions\[0\] \(webhook\): .*max_backoff",
        ),
        (
            '[[monitors.policies]]\ntype = "drift"\nfeatures = 2\nclear = 1\n',
            r"monitors\[0\]\.policies\[0\]: .*clear_features",
        ),
        (
            '[[monitors.policies]]\ntype = "performance"\nmetric = "acuracy"\nfloor = 0.8\n',
            r"monitors\[0\]\.policies\[0\]: .*unknown metric 'acuracy'",
        ),
        ("windw = 5\n", r"monitors\[0\]: windw: Extra inputs are not permitted"),
    ],
)
def test_bad_declared_monitors_name_the_place(tmp_path: Path, tail: str, message: str) -> None:
    path = _write(tmp_path, HEAD + tail)
    with pytest.raises(InvalidParameter, match=message) as info:
        load_serve_config(path)
    assert str(path) in str(info.value)


def test_serve_exits_with_the_message(tmp_path: Path) -> None:
    from driftline.cli.app import _register_commands

    _register_commands()
    path = _write(tmp_path, HEAD + '[[monitors.actions]]\ntype = "webhook"\n')
    result = CliRunner().invoke(
        app,
        [
            "serve",
            "--registry",
            f"sqlite:///{tmp_path / 'registry.db'}",
            "--monitors",
            str(path),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "missing key 'url'" in result.output
    assert not isinstance(result.exception, KeyError | TypeError)
