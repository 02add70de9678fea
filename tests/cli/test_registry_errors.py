"""``driftline registry`` and ``driftline audit`` turn bad input into one line on stderr
and exit status 2 (never a traceback), refuse a registry file that does not exist, and
print versions' tags as values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from driftline.cli.app import _register_commands, app

_register_commands()

CHECKSUM = "sha256:" + "ab" * 32


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bootstrapped registry; its root token is in DRIFTLINE_TOKEN."""
    path = tmp_path / "r.db"
    monkeypatch.setenv("DRIFTLINE_REGISTRY_URL", f"sqlite:///{path}")
    monkeypatch.delenv("DRIFTLINE_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["registry", "bootstrap", "root"])
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("DRIFTLINE_TOKEN", result.stdout.strip().splitlines()[-1])
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def refused(*args: str, says: str) -> str:
    """Run a command that must fail on its input; return its one-line message."""
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and says in lines[0], lines[0]
    return lines[0]


def test_unreadable_token_files(db: Path, tmp_path: Path) -> None:
    refused("registry", "models", "--token-file", "/nonexistent/tok", says="No such file")
    refused("registry", "models", "--token-file", str(tmp_path), says="Is a directory")
    binary = tmp_path / "tok"
    binary.write_bytes(b"\xff\xfe")
    refused("registry", "models", "--token-file", str(binary), says="not UTF-8")


def test_unusable_databases(db: Path, tmp_path: Path) -> None:
    refused("registry", "models", "--url", "sqlite:////nonexistent/dir/r.db", says="no registry")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"not a database\n" * 20)
    refused("registry", "models", "--url", f"sqlite:///{notes}", says="not a usable registry")
    pytest.importorskip("psycopg")
    line = refused(
        "registry",
        "models",
        "--url",
        "postgresql+psycopg://u:s3cr3t@127.0.0.1:1/db",
        says="cannot open registry database",
    )
    assert "s3cr3t" not in line


@pytest.mark.parametrize("value", ["1e20", "nan", "inf", "-5"])
def test_bad_token_lifetimes(db: Path, value: str) -> None:
    refused("registry", "tokens", "create", "root", "--expires-in", value, says="expires_in")


def test_audit_file_errors(db: Path, tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    assert run("audit", "keygen", str(key)).exit_code == 0
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"junk")
    refused("audit", "export", "--out", "/nonexistent/dir/x.jsonl", says="/nonexistent/dir")
    refused("audit", "export", "--key", "/nonexistent.pem", says="No such file")
    out = tmp_path / "partial.jsonl"
    refused("audit", "export", "--key", str(bad), "--out", str(out), says="key cannot be read")
    assert not out.exists()
    refused("audit", "verify", "--checkpoint", "/nonexistent.jsonl", says="No such file")
    export = tmp_path / "audit.jsonl"
    assert run("audit", "export", "--key", str(key), "--out", str(export)).exit_code == 0
    refused(
        "audit",
        "verify",
        "--checkpoint",
        str(export),
        "--public-key",
        str(bad),
        says="public key cannot be read",
    )
    refused("audit", "keygen", "/nonexistent/dir/k.pem", says="No such file")


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "verify"],
        ["audit", "export"],
        ["registry", "models"],
        ["registry", "users", "list"],
        ["registry", "create-model", "m"],
    ],
)
def test_missing_sqlite_file_is_refused_not_created(
    db: Path, tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "typo.db"
    line = refused(*command, "--url", f"sqlite:///{typo}", says="no registry database")
    assert str(typo) in line
    assert not typo.exists()


def test_bootstrap_still_creates_a_registry(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DRIFTLINE_TOKEN", raising=False)
    fresh = tmp_path / "fresh.db"
    result = run("registry", "bootstrap", "root", "--url", f"sqlite:///{fresh}")
    assert result.exit_code == 0, result.output
    assert fresh.exists()


def test_versions_show_tags_params_and_metrics_as_values(db: Path) -> None:
    assert run("registry", "create-model", "m").exit_code == 0
    registered = run(
        "registry", "register", "m", "--artifact", "s3://b/m", "--checksum", CHECKSUM,
        "--tag", "team=risk", "--tag", "tier=gold",
    )  # fmt: skip
    assert registered.exit_code == 0, registered.output
    listed = json.loads(run("registry", "versions", "--json").stdout)
    assert listed[0]["tags"] == {"team": "risk", "tier": "gold"}
    assert listed[0]["params"] == {} and listed[0]["metrics"] == {}
    assert not any(key.endswith("_json") for key in listed[0])
    table = run("registry", "versions").stdout  # wrapped by rich: check each tag
    assert "team=risk" in table and "tier=gold" in table
