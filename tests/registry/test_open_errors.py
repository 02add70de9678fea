"""Opening an unusable registry database raises a driftline error naming it and why."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import driftline as dl
from driftline.exceptions import DecodeError, InvalidParameter


def test_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "r.db"
    with pytest.raises(InvalidParameter, match="unable to open database file") as info:
        dl.Registry(f"sqlite:///{target}")
    assert str(target) in str(info.value)
    assert not target.parent.exists()


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_bytes(b"these are notes, not a database\n" * 8)
    with pytest.raises(DecodeError, match="not a usable registry database") as info:
        dl.Registry(f"sqlite:///{target}")
    assert str(target) in str(info.value)
    assert "file is not a database" in str(info.value)


def test_unreachable_postgresql_hides_the_password() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(InvalidParameter, match="cannot open registry database") as info:
        dl.Registry("postgresql+psycopg://u:s3cr3t@127.0.0.1:1/db")
    message = str(info.value)
    assert "s3cr3t" not in message
    assert "postgresql+psycopg://u:***@127.0.0.1:1/db" in message
    assert "\n" not in message


def test_driver_not_installed_is_named() -> None:
    with pytest.raises(InvalidParameter, match="cannot open registry database") as info:
        dl.Registry("postgresql+nosuchdriver://u:s3cr3t@127.0.0.1:1/db")
    assert "s3cr3t" not in str(info.value)


def test_unknown_schema_revision(tmp_path: Path) -> None:
    target = tmp_path / "r.db"
    dl.Registry(f"sqlite:///{target}").close()
    with sqlite3.connect(target) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    with pytest.raises(DecodeError, match="schema revision '9999'") as info:
        dl.Registry(f"sqlite:///{target}")
    assert str(target) in str(info.value) and "upgrade driftline" in str(info.value)


def test_a_good_database_still_opens_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with dl.Registry(url) as reg:
        reg.bootstrap("root")
    with dl.Registry(url) as reg:
        assert reg.audit.verify().ok
