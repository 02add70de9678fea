"""Lookups shared by the session's operations: rows by name, records from rows."""

from __future__ import annotations

from collections import defaultdict
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
    version_tags,
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
        row = conn.execute(query.where(versions.c.number == version)).first()
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
    if isinstance(ref, Dataset):
        name, version = ref.name, ref.version
    elif isinstance(ref, str):
        name, sep, number = ref.rpartition("@")
        if sep and number.isdigit():
            version: int | None = int(number)
        else:
            name, version = ref, None
    else:
        raise InvalidParameter("a dataset is named 'name', 'name@version' or a Dataset")
    query = sa.select(datasets).where(datasets.c.name == name)
    if version is None:
        query = query.order_by(datasets.c.version.desc()).limit(1)
    else:
        query = query.where(datasets.c.version == version)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"dataset {ref!r} does not exist")
    return row


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


def version_records(conn: Connection, query: sa.Select[Any]) -> list[ModelVersion]:
    """:class:`ModelVersion` records for a query over ``versions`` joined with ``models``.

    Tags, user names, parents and datasets are fetched in one query each, not per row.
    """
    rows = conn.execute(query).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    tags: dict[int, dict[str, str]] = defaultdict(dict)
    id_filter = (
        version_tags.c.version_id.in_(ids)
        if len(ids) <= 500
        else version_tags.c.version_id.in_(sa.select(query.subquery().c.id))
    )
    for tag in conn.execute(
        sa.select(version_tags.c.version_id, version_tags.c.key, version_tags.c.value).where(
            id_filter
        )
    ):
        tags[tag.version_id][tag.key] = tag.value
    names = _user_names(conn, {row.created_by for row in rows})
    parent_ids = {row.parent_version_id for row in rows if row.parent_version_id is not None}
    parents: dict[int, int] = {}
    if parent_ids:
        parents = {
            r.id: r.number
            for r in conn.execute(
                sa.select(versions.c.id, versions.c.number).where(versions.c.id.in_(parent_ids))
            )
        }
    dataset_ids = {r.training_dataset_id for r in rows if r.training_dataset_id is not None}
    dataset_refs: dict[int, str] = {}
    if dataset_ids:
        dataset_refs = {
            r.id: f"{r.name}@{r.version}"
            for r in conn.execute(
                sa.select(datasets.c.id, datasets.c.name, datasets.c.version).where(
                    datasets.c.id.in_(dataset_ids)
                )
            )
        }
    return [
        ModelVersion(
            model=row.model_name,
            version=row.number,
            stage=row.stage,
            artifact_uri=row.artifact_uri,
            checksum=row.checksum,
            framework=row.framework,
            params=loads(row.params_json),
            metrics=loads(row.metrics_json),
            tags=tags.get(row.id, {}),
            suspended=bool(row.suspended),
            candidate=bool(row.candidate),
            created_by=names.get(row.created_by, "?"),
            created_at=row.created_at,
            updated_at=row.updated_at,
            revision=row.revision,
            training_dataset=dataset_refs.get(row.training_dataset_id),
            parent_version=parents.get(row.parent_version_id),
            has_reference_profile=row.reference_profile_id is not None,
        )
        for row in rows
    ]


def versions_query() -> sa.Select[Any]:
    """The base query :func:`version_records` expects."""
    return sa.select(versions, models.c.name.label("model_name")).join(
        models, models.c.id == versions.c.model_id
    )


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
