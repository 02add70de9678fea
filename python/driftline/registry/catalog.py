"""Models, versions, tags, aliases and lineage."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import ConflictError, InvalidParameter
from driftline.registry.artifacts import artifact_and_checksum, json_payload, profile_bytes
from driftline.registry.auth import Denied, Identity
from driftline.registry.base import OpsBase
from driftline.registry.context import Context
from driftline.registry.inputs import check_name, check_tags, check_text
from driftline.registry.jsonutil import canonical, now
from driftline.registry.lifecycle import check_stage
from driftline.registry.queries import (
    get_dataset_row,
    get_model_row,
    get_version_row,
    inserted_id,
    model_record,
    version_records,
    versions_query,
)
from driftline.registry.records import Model, ModelVersion
from driftline.registry.schema import (
    model_owners,
    models,
    profiles,
    version_tags,
    versions,
)

__all__ = ["CatalogOps", "VersionSpec"]

# The column's own length: longer text fails inside the transaction on PostgreSQL (and
# SQLite would keep it, so the two backends would disagree).
_FRAMEWORK_LENGTH: int = versions.c.framework.type.length  # type: ignore[attr-defined]
# Row counts and offsets the databases take (a signed 64-bit integer).
_MAX_ROWS = 2**63 - 1


def _check_count(value: Any, what: str, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ROWS:
        raise InvalidParameter(f"{what} must be a non-negative integer; got {value!r}")


@dataclass
class VersionSpec:
    """A checked version, ready to insert (built before the transaction opens)."""

    artifact_uri: str
    checksum: str
    framework: str | None
    params_json: str
    metrics_json: str
    tags: dict[str, str]
    training_dataset: Any = None
    profile: tuple[bytes, str | None] | None = None
    parent: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        artifact_uri: str | Path,
        checksum: str | None = None,
        framework: str | None = None,
        params: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        training_dataset: Any = None,
        reference_profile: Any = None,
        parent: int | None = None,
    ) -> VersionSpec:
        """Check every argument; raises InvalidParameter naming the bad one."""
        uri, digest = artifact_and_checksum(artifact_uri, checksum)
        if framework is not None:
            check_name(framework, "framework", _FRAMEWORK_LENGTH)
        if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int)):
            raise InvalidParameter("parent must be a version number")
        return cls(
            artifact_uri=uri,
            checksum=digest,
            framework=framework,
            params_json=json_payload(params, "params"),
            metrics_json=json_payload(metrics, "metrics"),
            tags=check_tags(tags),
            training_dataset=training_dataset,
            profile=None if reference_profile is None else profile_bytes(reference_profile),
            parent=parent,
        )


def _insert_profile(conn: Connection, data: bytes, fingerprint: str | None) -> int:
    result = conn.execute(
        profiles.insert().values(
            fingerprint=fingerprint,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=now(),
        )
    )
    return inserted_id(result)


def _require_version_author(ctx: Context, model: Any) -> bool:
    """Who may register versions: owners, admins, and the model's own triggers. Returns
    whether the caller is a trigger (its versions are candidates)."""
    who = ctx.who
    if who.kind == "trigger":
        if who.trigger_model_id != model.id:
            raise Denied(who.name, f"trigger {who.name!r} is not bound to model {model.name!r}")
        if model.suspended:
            raise Denied(who.name, f"model {model.name!r} is suspended: its triggers are off")
        return True
    ctx.require_model_write(model, f"register versions of {model.name!r}")
    return False


class CatalogOps(OpsBase):
    """Models, versions, tags, aliases and lineage."""

    # Models.

    def create_model(self, name: str, *, description: str = "") -> Model:
        """Register a model; its creator becomes an owner (contributor or admin).

        Examples
        --------
        >>> import driftline as dl
        >>> reg = dl.Registry("sqlite://")
        >>> admin = reg.session(reg.bootstrap("root"))
        >>> admin.create_model("churn", description="monthly churn").name
        'churn'
        """
        check_name(name, "model name")
        check_text(description, "description")

        def run(ctx: Context) -> Model:
            ctx.require("create_model", "create models")
            if ctx.conn.execute(sa.select(models.c.id).where(models.c.name == name)).first():
                raise ConflictError(f"model {name!r} already exists")
            result = ctx.conn.execute(
                models.insert().values(
                    name=name,
                    description=description or "",
                    created_by=ctx.who.user_id,
                    created_at=now(),
                )
            )
            model_id = inserted_id(result)
            ctx.conn.execute(
                model_owners.insert().values(model_id=model_id, user_id=ctx.who.user_id)
            )
            ctx.record("model.create", f"model:{name}", None, {"description": description})
            return model_record(ctx.conn, get_model_row(ctx.conn, name))

        return self._write("model.create", f"model:{name}", run)

    def get_model(self, name: str) -> Model:
        """One model with its owners, aliases and production version."""
        return self._read(lambda conn, who: model_record(conn, get_model_row(conn, name)))

    def list_models(self) -> list[Model]:
        """Every model, by name."""
        return self._read(
            lambda conn, who: [
                model_record(conn, row)
                for row in conn.execute(sa.select(models).order_by(models.c.name))
            ]
        )

    # Versions.

    def register_version(
        self,
        model: str,
        *,
        artifact_uri: str | Path,
        checksum: str | None = None,
        framework: str | None = None,
        params: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        training_dataset: Any = None,
        reference_profile: Any = None,
        parent: int | None = None,
    ) -> ModelVersion:
        """Register a new version of ``model`` in the development stage.

        Parameters
        ----------
        model
            The model's name.
        artifact_uri
            A URI with a scheme (``s3://...``) or an absolute path, with ``checksum``; or a
            :class:`pathlib.Path` to a local file, which is hashed. ``..`` is refused.
        checksum
            ``sha256:<hex>`` (or another ``algo:hex``); required for a URI.
        framework, params, metrics, tags
            Descriptive data (params and metrics: JSON-ready dicts; tags: str to str).
        training_dataset
            A registered dataset (``name`` for its latest version, ``name@3``, a Dataset).
        reference_profile
            A driftline Profile (or its ``to_bytes()``) to monitor the version against.
        parent
            The version number this one was derived from (lineage).

        Returns
        -------
        ModelVersion
            With ``candidate=True`` when registered by a retraining trigger.
        """
        spec = VersionSpec.build(
            artifact_uri=artifact_uri,
            checksum=checksum,
            framework=framework,
            params=params,
            metrics=metrics,
            tags=tags,
            training_dataset=training_dataset,
            reference_profile=reference_profile,
            parent=parent,
        )
        return self.register_versions(model, [spec])[0]

    def register_versions(self, model: str, specs: list[VersionSpec]) -> list[ModelVersion]:
        """Register several versions in one transaction (all or none); each is audited.

        Build each spec with :meth:`VersionSpec.build`.
        """
        if not isinstance(specs, (list, tuple)) or not all(
            isinstance(spec, VersionSpec) for spec in specs
        ):
            raise InvalidParameter(
                "specs must be a list of VersionSpec (built with VersionSpec.build(...))"
            )

        def run(ctx: Context) -> list[ModelVersion]:
            model_row = get_model_row(ctx.conn, model)
            candidate = _require_version_author(ctx, model_row)
            last = ctx.conn.execute(
                sa.select(sa.func.max(versions.c.number)).where(versions.c.model_id == model_row.id)
            ).scalar()
            ids = []
            for offset, spec in enumerate(specs):
                ids.append(
                    self._insert_version(ctx, model_row, spec, (last or 0) + offset + 1, candidate)
                )
            return version_records(
                ctx.conn,
                versions_query(ctx.conn.dialect.name)
                .where(versions.c.id.in_(ids))
                .order_by(versions.c.number),
            )

        return self._write("version.register", f"model:{model}", run)

    @staticmethod
    def _insert_version(
        ctx: Context, model: Any, spec: VersionSpec, number: int, candidate: bool
    ) -> int:
        conn = ctx.conn
        dataset_id = None
        if spec.training_dataset is not None:
            dataset_id = get_dataset_row(conn, spec.training_dataset).id
        profile_id = None if spec.profile is None else _insert_profile(conn, *spec.profile)
        parent_id = None
        if spec.parent is not None:
            parent_id = get_version_row(conn, model, spec.parent).id
        stamp = now()
        result = conn.execute(
            versions.insert().values(
                model_id=model.id,
                number=number,
                artifact_uri=spec.artifact_uri,
                checksum=spec.checksum,
                framework=spec.framework,
                params_json=spec.params_json,
                metrics_json=spec.metrics_json,
                tags_json=canonical(spec.tags),
                stage="development",
                candidate=candidate,
                training_dataset_id=dataset_id,
                reference_profile_id=profile_id,
                parent_version_id=parent_id,
                created_by=ctx.who.user_id,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        version_id = inserted_id(result)
        if spec.tags:
            conn.execute(
                version_tags.insert(),
                [{"version_id": version_id, "key": k, "value": v} for k, v in spec.tags.items()],
            )
        ctx.record(
            "version.register",
            f"version:{model.name}/{number}",
            None,
            {
                "artifact_uri": spec.artifact_uri,
                "checksum": spec.checksum,
                "candidate": candidate,
                "tags": spec.tags,
                "training_dataset": dataset_id,
                "parent": spec.parent,
            },
        )
        return version_id

    def get_version(self, model: str, version: int | str) -> ModelVersion:
        """One version, by number or alias."""

        def run(conn: Connection, who: Identity) -> ModelVersion:
            row = get_version_row(conn, get_model_row(conn, model), version)
            return version_records(
                conn, versions_query(conn.dialect.name).where(versions.c.id == row.id)
            )[0]

        return self._read(run)

    def list_versions(
        self,
        model: str | None = None,
        *,
        stage: str | None = None,
        tags: dict[str, str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ModelVersion]:
        """Versions (of one model or all), filtered by stage and tags, by model and number.

        Parameters
        ----------
        tags
            Only versions carrying every one of these tags with these values.
        """
        if stage is not None:
            check_stage(stage)
        wanted = check_tags(tags)
        _check_count(limit, "limit", allow_none=True)
        _check_count(offset, "offset", allow_none=False)

        def run(conn: Connection, who: Identity) -> list[ModelVersion]:
            query = versions_query(conn.dialect.name)
            if model is not None:
                query = query.where(versions.c.model_id == get_model_row(conn, model).id)
            if stage is not None:
                query = query.where(versions.c.stage == stage)
            for key, value in wanted.items():
                query = query.where(
                    versions.c.id.in_(
                        sa.select(version_tags.c.version_id).where(
                            version_tags.c.key == key, version_tags.c.value == value
                        )
                    )
                )
            query = query.order_by(models.c.name, versions.c.number).offset(offset)
            if limit is not None:
                query = query.limit(limit)
            return version_records(conn, query)

        return self._read(run)

    def search_versions(
        self, *, tags: dict[str, str], model: str | None = None
    ) -> list[ModelVersion]:
        """Versions carrying all of ``tags`` (an index lookup per tag)."""
        return self.list_versions(model, tags=tags)

    def update_version(
        self,
        model: str,
        version: int | str,
        *,
        revision: int,
        artifact_uri: str | Path | None = None,
        checksum: str | None = None,
        metrics: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> ModelVersion:
        """Change a version, refusing a stale update.

        Parameters
        ----------
        revision
            The ``revision`` of the version as read; if the version changed since, the
            update is refused with ConflictError (read it again and retry).
        artifact_uri, checksum
            A new artifact (development or staging only): it voids earlier approvals,
            which were given on the old checksum.
        metrics, params, tags
            Replace these fields when given.
        """
        values: dict[str, Any] = {}
        if checksum is not None and artifact_uri is None:
            # A checksum describes an artifact: alone it would be the old URI's content
            # changed in place, which is not how an artifact changes here.
            raise InvalidParameter(
                "checksum is given only with artifact_uri: pass both to change the artifact"
            )
        if artifact_uri is not None:
            values["artifact_uri"], values["checksum"] = artifact_and_checksum(
                artifact_uri, checksum
            )
        if metrics is not None:
            values["metrics_json"] = json_payload(metrics, "metrics")
        if params is not None:
            values["params_json"] = json_payload(params, "params")
        new_tags = None if tags is None else check_tags(tags)
        target = f"version:{model}/{version}"

        def run(ctx: Context) -> ModelVersion:
            model_row = get_model_row(ctx.conn, model)
            row = get_version_row(ctx.conn, model_row, version)
            ctx.require_model_write(model_row, f"update versions of {model!r}")
            if "checksum" in values and row.stage not in ("development", "staging"):
                raise ConflictError(
                    f"the artifact of a {row.stage} version cannot change: register a new one"
                )
            updated = ctx.conn.execute(
                versions.update()
                .where(versions.c.id == row.id, versions.c.revision == revision)
                .values(**values, revision=versions.c.revision + 1, updated_at=now())
            )
            if updated.rowcount != 1:
                raise ConflictError(
                    f"version {model!r} {row.number} changed since it was read (revision "
                    f"{row.revision}, not {revision}): read it again"
                )
            before: dict[str, Any] = {k: getattr(row, k) for k in values}
            after: dict[str, Any] = dict(values)
            if new_tags is not None:
                ctx.conn.execute(
                    versions.update()
                    .where(versions.c.id == row.id)
                    .values(tags_json=canonical(new_tags))
                )
                ctx.conn.execute(version_tags.delete().where(version_tags.c.version_id == row.id))
                if new_tags:
                    ctx.conn.execute(
                        version_tags.insert(),
                        [{"version_id": row.id, "key": k, "value": v} for k, v in new_tags.items()],
                    )
                after["tags"] = new_tags
            before["revision"], after["revision"] = row.revision, row.revision + 1
            ctx.record("version.update", f"version:{model}/{row.number}", before, after)
            return version_records(
                ctx.conn, versions_query(ctx.conn.dialect.name).where(versions.c.id == row.id)
            )[0]

        return self._write("version.update", target, run)
