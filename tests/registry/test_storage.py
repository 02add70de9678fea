"""Storage: SQLite settings, migrations, opening without the native module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from registry_helpers import raw_engine

import driftline as dl
from driftline.exceptions import InvalidParameter


def test_sqlite_pragmas(tmp_path: Path) -> None:
    reg = dl.Registry(f"sqlite:///{tmp_path / 'r.db'}")
    with raw_engine(reg).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_reopen_keeps_data_and_schema(url: str) -> None:
    reg = dl.Registry(url)
    admin = reg.session(reg.bootstrap("root"))
    admin.create_model("m")
    reg.close()
    again = dl.Registry(url)  # already at the head revision: no migration runs
    with raw_engine(again).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
        assert conn.exec_driver_sql("SELECT count(*) FROM models").scalar() == 1
    again.close()


def audit_indexes(reg: dl.Registry) -> set[str]:
    with raw_engine(reg).connect() as conn:
        return {ix["name"] for ix in sa.inspect(conn).get_indexes("audit_events")}


def test_an_older_schema_gets_the_audit_target_index(url: str) -> None:
    """A database left at revision 0001 by an older driftline (no index on the audit
    trail's target) is migrated on open, its trail untouched and still verifying."""
    reg = dl.Registry(url)
    admin = reg.session(reg.bootstrap("root"))
    admin.create_model("m")
    assert "ix_audit_events_target" in audit_indexes(reg)
    with raw_engine(reg).begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_audit_events_target")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    head = reg.audit.verify()
    assert "ix_audit_events_target" not in audit_indexes(reg)
    reg.close()
    again = dl.Registry(url)
    assert "ix_audit_events_target" in audit_indexes(again)
    with raw_engine(again).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"
    after = again.audit.verify()
    assert after.ok and after == head
    again.close()


def test_rejects_other_databases() -> None:
    with pytest.raises(InvalidParameter, match="unsupported"):
        dl.Registry("mysql://localhost/db")
    with pytest.raises(InvalidParameter):
        dl.Registry("not a url")


def test_opens_without_the_native_module(tmp_path: Path) -> None:
    script = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "driftline._native":
            raise ImportError("native module blocked for this test")
sys.meta_path.insert(0, Block())
from driftline.registry import Registry
reg = Registry({f"sqlite:///{tmp_path / 'r.db'}"!r})
admin = reg.session(reg.bootstrap("root"))
admin.create_model("m")
assert reg.audit.verify().ok
assert "driftline._native" not in sys.modules
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


NATIVE_MODULES = {"driftline._native", "driftline.profile", "driftline.parquet"}


def test_registry_modules_never_import_native() -> None:
    """No registry module (nor dl.validate) imports the native module at import time: they
    import driftline lazily, inside the functions that profile data."""
    import driftline.registry
    import driftline.validation

    root = Path(driftline.registry.__file__).parent
    files = [*root.rglob("*.py"), Path(driftline.validation.__file__)]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            assert not NATIVE_MODULES & set(names), f"{path.name} imports {names}"


def test_in_memory_registry() -> None:
    reg = dl.Registry("sqlite://")
    admin = reg.session(reg.bootstrap("root"))
    assert admin.create_model("m").name == "m"
    assert reg.audit.verify().ok
