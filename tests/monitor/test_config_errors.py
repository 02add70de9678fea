"""TOML configurations (``driftline watch``): every mistake is an InvalidParameter naming
the file, the table and the key, raised when the file is loaded."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from driftline.actions import Command, Webhook
from driftline.exceptions import InvalidParameter
from driftline.monitor.config import load_config

SECRET = "whsec_" + base64.b64encode(b"config-test-secret-0123456").decode()
HEAD = """
[monitor]
reference = "reference.parquet"
window = 100
"""


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "sales.toml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTLINE_WEBHOOK_SECRET", SECRET)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ('[[actions]]\ntype = "webhook"\n', r"actions\[0\] \(webhook\): missing key 'url'"),
        (
            '[[actions]]\ntype = "command"\nname = "x"\n',
            r"actions\[0\] \(command\): missing key 'argv'",
        ),
        (
            '[[actions]]\ntype = "log"\n[[actions]]\ntype = "webhook"\nurl = "https://h.example/x"\nurll = 1\n',
            r"actions\[1\] \(webhook\): unknown key\(s\) \['urll'\]",
        ),
        (
            '[[actions]]\ntype = "webhook"\nurl = "https://h.example/x"\nmax_backoff = -1\n',
            r"actions\[0\] \(webhook\): .*max_backoff",
        ),
        (
            '[[actions]]\ntype = "webhook"\nurl = "h.example/x"\n',
            r"actions\[0\] \(webhook\): .*url",
        ),
        ('[[actions]]\ntype = "command"\nargv = "echo hi"\n', r"actions\[0\] \(command\): .*list"),
        ('[[actions]]\ntype = "slack"\n', r"actions\[0\]: action type"),
        (
            '[[policies]]\ntype = "drift"\nconsecutive = 0\n',
            r"policies\[0\] \(drift\): .*consecutive",
        ),
        (
            '[[policies]]\ntype = "drift"\nfeatures = 2\nclear = 1\n',
            r"policies\[0\] \(drift\): .*clear",
        ),
        (
            '[[policies]]\ntype = "performance"\nmetric = "acuracy"\nfloor = 0.8\n',
            r"policies\[0\] \(performance\): unknown metric 'acuracy'",
        ),
        (
            '[[policies]]\ntype = "drift"\nfeaturs = 2\n',
            r"policies\[0\] \(drift\): unknown key\(s\) \['featurs'\]",
        ),
        ('[[policies]]\ntype = "drif"\n', r"policies\[0\]\.type"),
        ("[policies]\ntype = 'drift'\n", r"policies is an array of tables"),
        ("[watch]\ninterval = 'soon'\n", r"\[watch\] interval"),
        ("[[policy]]\ntype = 'drift'\n", r"unknown top-level keys \['policy'\]"),
    ],
)
def test_bad_tables_name_file_table_and_key(tmp_path: Path, tail: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as info:
        _load(tmp_path, HEAD + tail)
    assert str(tmp_path / "sales.toml") in str(info.value)


def test_unknown_monitor_key_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match=r"unknown keys in \[monitor\]: \['windw'\]"):
        _load(tmp_path, HEAD + "windw = 5\n")


def test_not_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="not valid TOML") as info:
        _load(tmp_path, "[monitor\n")
    assert "sales.toml" in str(info.value)


def test_good_file_still_loads(tmp_path: Path) -> None:
    cfg = _load(
        tmp_path,
        HEAD
        + 'label = "y"\n[watch]\nsettle = 0\n'
        + '[[policies]]\ntype = "drift"\nfeatures = 2\nclear_features = 0\ncooldown = "6h"\n'
        + '[[actions]]\ntype = "webhook"\nurl = "https://h.example/x"\nmax_backoff = 5\n'
        + '[[actions]]\ntype = "command"\nargv = ["true"]\ntimeout = 5\n',
    )
    (policy,) = cfg.policies  # type: ignore[attr-defined]
    assert policy.threshold == 2.0 and policy.clear == 1.0 and policy.cooldown == 6 * 3600
    hook, command = cfg.actions  # type: ignore[attr-defined]
    assert isinstance(hook, Webhook) and hook.max_backoff == 5 and hook.secrets == [SECRET]
    assert isinstance(command, Command) and command.argv == ["true"]
    assert cfg.monitor["label"] == "y"  # type: ignore[attr-defined]
