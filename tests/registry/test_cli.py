"""The command line: registry, audit and validate commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from registry_helpers import CHECKSUM
from typer.testing import CliRunner

from driftline.cli.app import _register_commands, app

_register_commands()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DRIFTLINE_REGISTRY_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.delenv("DRIFTLINE_TOKEN", raising=False)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result.output

    run.runner = runner  # type: ignore[attr-defined]
    return run


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_registry_workflow(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = _last_line(cli("registry", "bootstrap", "root"))
    assert root.startswith("dlt_")
    monkeypatch.setenv("DRIFTLINE_TOKEN", root)
    approver = _last_line(cli("registry", "users", "add", "alice", "--role", "approver"))
    name = "[bold]x'; DROP TABLE models;--"
    cli("registry", "create-model", name)
    cli(
        "registry",
        "register",
        name,
        "--artifact",
        "s3://b/m",
        "--checksum",
        CHECKSUM,
        "--tag",
        "team=risk",
    )
    cli("registry", "promote", name, "1", "--stage", "staging")
    assert "[bold]" in cli("registry", "models")  # markup in names is printed literally
    versions = json.loads(cli("registry", "versions", "--json", "--tag", "team=risk"))
    assert versions[0]["model"] == name and versions[0]["stage"] == "staging"

    token_file = tmp_path / "alice.token"
    token_file.write_text(approver)
    cli("registry", "approve", name, "1", "--token-file", str(token_file))
    cli("registry", "promote", name, "1")
    cli("registry", "alias", name, "champion", "1")
    models = json.loads(cli("registry", "models", "--json"))
    assert models[0]["production_version"] == 1 and models[0]["aliases"] == {"champion": 1}
    lineage = json.loads(cli("registry", "lineage", name, "1", "--json"))
    assert lineage[0]["version"] == 1
    users = json.loads(cli("registry", "users", "list", "--json"))
    assert {u["name"] for u in users} == {"root", "alice"}
    tokens = json.loads(cli("registry", "tokens", "list", "--json"))
    assert all("dlt_" not in json.dumps(t) for t in tokens)
    alice_token = next(t["id"] for t in tokens if t["user"] == "alice")
    cli("registry", "tokens", "revoke", alice_token)
    out = cli("registry", "models", "--token-file", str(token_file), ok=False)
    assert "PermissionDenied" in out and "revoked" in out
    assert json.loads(cli("registry", "datasets", "--json")) == []


def test_errors_exit_2(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli.runner.invoke(app, ["registry", "models"])
    assert result.exit_code == 2 and "no token" in result.output
    token = _last_line(cli("registry", "bootstrap", "root"))
    monkeypatch.setenv("DRIFTLINE_TOKEN", token)
    cli("registry", "create-model", "m")
    result = cli.runner.invoke(
        app, ["registry", "register", "m", "--artifact", "s3://b/../x", "--checksum", CHECKSUM]
    )
    assert result.exit_code == 2 and "path traversal" in result.output


def test_audit_commands(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    token = _last_line(cli("registry", "bootstrap", "root"))
    monkeypatch.setenv("DRIFTLINE_TOKEN", token)
    cli("registry", "create-model", "m")
    key = tmp_path / "audit.pem"
    cli("audit", "keygen", str(key))
    assert cli.runner.invoke(app, ["audit", "keygen", str(key)]).exit_code == 2
    export = tmp_path / "audit.jsonl"
    cli("audit", "export", "--out", str(export), "--key", str(key))
    lines = export.read_text().splitlines()
    assert len(lines) == 3 and "checkpoint" in json.loads(lines[-1])
    assert "verified" in cli("audit", "verify")
    report = json.loads(
        cli("audit", "verify", "--checkpoint", str(export), "--public-key", f"{key}.pub", "--json")
    )
    assert report["ok"] and report["events"] == 2
    assert '"event"' in cli("audit", "export")


def test_validate_command(cli, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [1, 2, None]}), data)
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nkind = "max_null_rate"\ncolumn = "id"\nrate = 0.5\n')
    assert "passed" in cli("validate", str(data), "--rules", str(rules))
    rules.write_text('[[rules]]\nkind = "not_null"\ncolumn = "id"\n')
    result = cli.runner.invoke(app, ["validate", str(data), "--rules", str(rules), "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["passed"] is False
