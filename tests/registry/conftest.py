"""Fixtures: every registry test runs on SQLite, and on PostgreSQL when
DRIFTLINE_TEST_POSTGRES_URL is set (``make test`` starts the server and sets it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import driftline as dl

PG_ENV = "DRIFTLINE_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty registry database URL (a SQLite file, or a PostgreSQL schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: the PostgreSQL server is started by `make test`")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def reg(url: str) -> Iterator[dl.Registry]:
    registry = dl.Registry(url)
    yield registry
    registry.close()


@dataclass
class People:
    """An admin, two contributors, two approvers and a viewer, with their sessions."""

    admin: Any
    carol: Any
    dave: Any
    alice: Any
    bob: Any
    victor: Any
    tokens: dict[str, str]


@pytest.fixture
def people(reg: dl.Registry) -> People:
    root_token = reg.bootstrap("root")
    admin = reg.session(root_token)
    tokens = {"root": root_token}
    for name, role in [
        ("carol", "contributor"),
        ("dave", "contributor"),
        ("alice", "approver"),
        ("bob", "approver"),
        ("victor", "viewer"),
    ]:
        tokens[name] = admin.create_user(name, role=role)
    s = {name: reg.session(token) for name, token in tokens.items()}
    return People(
        admin=admin,
        carol=s["carol"],
        dave=s["dave"],
        alice=s["alice"],
        bob=s["bob"],
        victor=s["victor"],
        tokens=tokens,
    )
