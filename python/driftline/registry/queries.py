"""Lookups shared by the session's operations: rows by name, records from rows."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import InvalidParameter, NotFound
from driftline.registry.jsonutil import loads
from driftline.registry.records import Dataset, Model, ModelVersion, User
from driftline.registry.schema import (
    aliases,
    datasets,
    model_owners,
    models,
    users,
    versions,
)

__all__ = [
    "dataset_record",
    "get_dataset_row",
    "get_model_row",
    "get_user_row",
    "get_version_row",
    "model_record",
    "user_record",
    "version_records",
]

# Version numbers are stored in INTEGER columns: 32 bits on PostgreSQL, where the driver
# refuses a bigger number outright (SQLite stores 64 bits). No stored version can carry
# a number beyond them, so such a number names nothing.
_STORED_MIN, _STORED_MAX = -(2**31), 2**31 - 1


def _fits_column(number: int) -> bool:
    return _STORED_MIN <= number <= _STORED_MAX


def get_model_row(conn: Connection, name: str) -> Any:
    """The model row, or NotFound."""
    row = conn.execute(sa.select(models).where(models.c.name == name)).first()
    if row is None:
        raise NotFound(f"model {name!r} does not exist")
    return row


def get_version_row(conn: Connection, model: Any, version: int | str) -> Any:
    """A version of ``model`` (a model row) by number or by alias."""
    if isinstance(version, bool) or not isinstance(version, (int, str)):
        raise InvalidParameter("version must be a version number or an alias")
    query = sa.select(versions).where(versions.c.model_id == model.id)
    if isinstance(version, int):
        row = (
            conn.execute(query.where(versions.c.number == version)).first()
            if _fits_column(version)
            else None
        )
    else:
        row = conn.execute(
            query.join(aliases, aliases.c.version_id == versions.c.id).where(
                aliases.c.model_id == model.id, aliases.c.alias == version
            )
        ).first()
    if row is None:
        raise NotFound(f"model {model.name!r} has no version {version!r}")
    return row


def get_user_row(conn: Connection, name: str) -> Any:
    """The user row, or NotFound."""
    row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"user {name!r} does not exist")
    return row


def get_dataset_row(conn: Connection, ref: Any) -> Any:
    """A dataset by ``name@version``, by name (its latest version), or a Dataset record."""
    version: int | None
    if isinstance(ref, Dataset):
        name, version = ref.name, ref.version
    elif isinstance(ref, str):
        name, sep, number = ref.rpartition("@")
        # ASCII digits only: str.isdigit() accepts "²" and isdecimal() accepts "١", which
        # int() then rejects or reads as another number than the one the caller wrote.
        if sep and number.isascii() and number.isdecimal():
            version = int(number)
        else:
            name, version = ref, None
    else:
        raise InvalidParameter("a dataset is named 'name', 'name@version' or a Dataset")
    if version is not None and not _fits_column(version):
        raise NotFound(f"dataset {ref!r} does not exist")
    query = sa.select(datasets).where(datasets.c.name == name)
    if version is None:
        query = query.order_by(datasets.c.version.desc()).limit(1)
    else:
        query = query.where(datasets.c.version == version)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"dataset {ref!r} does not exist")
    return row


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every registry table has an integer key
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


def _user_names(conn: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(sa.select(users.c.id, users.c.name).where(users.c.id.in_(ids)))
    return {row.id: row.name for row in rows}


def user_record(conn: Connection, row: Any) -> User:
    """A :class:`User` from a users row."""
    trigger_model = None
    if row.trigger_model_id is not None:
        trigger_model = conn.execute(
            sa.select(models.c.name).where(models.c.id == row.trigger_model_id)
        ).scalar()
    return User(
        id=row.id,
        name=row.name,
        role=row.role,
        kind=row.kind,
        disabled=bool(row.disabled),
        created_at=row.created_at,
        trigger_model=trigger_model,
    )


def model_record(conn: Connection, row: Any) -> Model:
    """A :class:`Model` with its owners, aliases and production version."""
    owners = conn.execute(
        sa.select(users.c.name)
        .join(model_owners, model_owners.c.user_id == users.c.id)
        .where(model_owners.c.model_id == row.id)
        .order_by(users.c.name)
    ).scalars()
    alias_rows = conn.execute(
        sa.select(aliases.c.alias, versions.c.number)
        .join(versions, versions.c.id == aliases.c.version_id)
        .where(aliases.c.model_id == row.id)
    )
    production = conn.execute(
        sa.select(versions.c.number).where(
            versions.c.model_id == row.id, versions.c.stage == "production"
        )
    ).scalar()
    return Model(
        id=row.id,
        name=row.name,
        description=row.description,
        created_by=_user_names(conn, {row.created_by}).get(row.created_by, "?"),
        created_at=row.created_at,
        suspended=bool(row.suspended),
        suspended_reason=row.suspended_reason,
        owners=tuple(owners),
        aliases={a.alias: a.number for a in alias_rows},
        production_version=production,
    )


_VERSION_FIELDS = tuple(f.name for f in dataclass_fields(ModelVersion))


def versions_query(dialect: str = "") -> sa.Select[Any]:
    """One query yielding the fields of :class:`ModelVersion` in order (filter and order
    it, then hand it to :func:`version_records`): names, parents and dataset references
    come joined, not fetched per row."""
    parent = versions.alias("parent")
    creator = users.alias("creator")
    query = (
        sa.select(
            models.c.name.label("model"),
            versions.c.number.label("version"),
            versions.c.stage,
            versions.c.artifact_uri,
            versions.c.checksum,
            versions.c.framework,
            versions.c.suspended,
            versions.c.candidate,
            creator.c.name.label("created_by"),
            versions.c.created_at,
            versions.c.updated_at,
            versions.c.revision,
            (datasets.c.name + "@" + sa.cast(datasets.c.version, sa.String)).label(
                "training_dataset"
            ),
            parent.c.number.label("parent_version"),
            versions.c.reference_profile_id.is_not(None).label("has_reference_profile"),
            versions.c.params_json,
            versions.c.metrics_json,
            versions.c.tags_json,
        )
        .select_from(versions)
        .join(models, models.c.id == versions.c.model_id)
        .join(creator, creator.c.id == versions.c.created_by)
        .outerjoin(parent, parent.c.id == versions.c.parent_version_id)
        .outerjoin(datasets, datasets.c.id == versions.c.training_dataset_id)
    )
    assert tuple(c.name for c in query.selected_columns) == _VERSION_FIELDS
    return query


def version_records(conn: Connection, query: sa.Select[Any]) -> list[ModelVersion]:
    """:class:`ModelVersion` records for a query built on :func:`versions_query`.

    The records are filled straight from the rows (the query yields the fields in
    order): this is the hot path of listing thousands of versions.
    """
    names = _VERSION_FIELDS
    new = object.__new__
    out = []
    for row in conn.execute(query):
        record = new(ModelVersion)
        record.__dict__.update(zip(names, row, strict=True))
        out.append(record)
    return out


def dataset_record(conn: Connection, row: Any) -> Dataset:
    """A :class:`Dataset` from a datasets row."""
    return Dataset(
        id=row.id,
        name=row.name,
        version=row.version,
        fingerprint=row.fingerprint,
        schema=[(name, dtype) for name, dtype in loads(row.schema_json)],
        row_count=row.row_count,
        uri=row.uri,
        created_by=_user_names(conn, {row.created_by}).get(row.created_by, "?"),
        created_at=row.created_at,
        has_profile=row.profile_id is not None,
    )
