"""Helpers shared by the registry tests (fakes that stand in for the native profile)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

import driftline as dl

CHECKSUM = "sha256:" + "ab" * 32


def checksum(i: int) -> str:
    """A distinct, well-formed checksum per integer."""
    return f"sha256:{i:064x}"


def raw_engine(reg: dl.Registry) -> sa.Engine:
    """Direct database access, as an attacker with database credentials would have."""
    return reg._db.engine


def disable_audit_triggers(reg: dl.Registry) -> None:
    """What an attacker with database rights does before editing the audit table."""
    with raw_engine(reg).begin() as conn:
        if reg.dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")


class FakeColumn:
    """A column profile with the native ColumnProfile's interface, for tests that must not
    depend on the native module."""

    def __init__(self, values: list[Any]) -> None:
        self._values = values
        present = [v for v in values if v is not None]
        self.null_count = len(values) - len(present)
        self.count = len(present)
        self.nan_count = 0
        self._numeric = all(isinstance(v, (int, float)) for v in present)
        self.min = min(present) if present and self._numeric else None
        self.max = max(present) if present and self._numeric else None
        self.dtype = "double" if self._numeric else "utf8"

    def distinct(self) -> float:
        return float(len({v for v in self._values if v is not None}))

    def frequencies(self) -> dict[Any, int] | None:
        if self._numeric:
            return None
        out: dict[Any, int] = {}
        for v in self._values:
            if v is not None:
                out[v] = out.get(v, 0) + 1
        return out


class FakeProfile:
    """A profile with the native Profile's interface (row_count, columns, schema,
    fingerprint, to_bytes, [col])."""

    def __init__(self, data: dict[str, list[Any]], types: dict[str, str] | None = None) -> None:
        self._data = data
        self.columns = list(data)
        self.row_count = len(next(iter(data.values()))) if data else 0
        types = types or {}
        self.schema = [
            (c, types.get(c, "int64" if FakeColumn(v).frequencies() is None else "string"))
            for c, v in data.items()
        ]
        self.fingerprint = uuid.uuid5(uuid.NAMESPACE_OID, repr(sorted(data.items()))).hex

    def __getitem__(self, column: str) -> FakeColumn:
        return FakeColumn(self._data[column])

    def to_bytes(self) -> bytes:
        return repr(sorted(self._data.items())).encode()
