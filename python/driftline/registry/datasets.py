"""Dataset versions: fingerprint, schema, row count, URI and profile."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import InvalidParameter, NotFound
from driftline.registry.artifacts import profile_bytes
from driftline.registry.auth import Denied, Identity
from driftline.registry.base import OpsBase
from driftline.registry.catalog import _insert_profile
from driftline.registry.context import Context
from driftline.registry.inputs import check_dataset_name, check_uri
from driftline.registry.jsonutil import canonical, now
from driftline.registry.queries import dataset_record, get_dataset_row
from driftline.registry.records import Dataset
from driftline.registry.schema import datasets, models, profiles

__all__ = ["DatasetOps", "profile_of"]


def profile_of(data_or_path: Any) -> tuple[Any, str | None]:
    """Profile data (or a Parquet file given as a :class:`pathlib.Path`) with the native
    module, and the file's URI when it is one. A profile is used as it is.

    Strings are refused: a user string never becomes a local path.
    """
    if isinstance(data_or_path, str):
        raise InvalidParameter(
            "pass a pathlib.Path for a Parquet file (strings are not taken as paths), "
            "or the data itself"
        )
    if hasattr(data_or_path, "to_bytes") and hasattr(data_or_path, "fingerprint"):
        return data_or_path, None
    import driftline as dl

    if isinstance(data_or_path, os.PathLike):
        path = Path(data_or_path)
        return dl.profile_parquet(path), path.resolve().as_uri()
    return dl.profile(data_or_path), None


def _check_trigger_active(ctx: Context) -> None:
    """A retraining trigger does nothing while its model is suspended (the kill switch
    turns its triggers off), nor once that model is gone."""
    who = ctx.who
    if who.kind != "trigger":
        return
    suspended = ctx.conn.execute(
        sa.select(models.c.suspended).where(models.c.id == who.trigger_model_id)
    ).first()
    if suspended is None or suspended[0]:
        raise Denied(who.name, f"trigger {who.name!r}: its model is suspended, triggers are off")


class DatasetOps(OpsBase):
    """Registering and reading datasets."""

    def register_dataset(self, name: str, data_or_path: Any, *, uri: str | None = None) -> Dataset:
        """Register a dataset version from data, a Parquet file, or a profile.

        The data is profiled (natively); the registry keeps its fingerprint, schema, row
        count, URI and profile. Registering data whose fingerprint equals that of any
        existing version of the name returns that version instead of creating a new one.

        Parameters
        ----------
        name
            The dataset's name; versions are numbered per name.
        data_or_path
            Arrow-compatible data, a :class:`pathlib.Path` to Parquet, or a Profile.
        uri
            Where the data lives (defaults to the file's URI for a Path).
        """
        check_dataset_name(name)
        profile, file_uri = profile_of(data_or_path)
        location = check_uri(uri, "uri") if uri is not None else file_uri
        data, fingerprint = profile_bytes(profile)
        if fingerprint is None:
            raise InvalidParameter("the profile has no fingerprint")
        schema = [[str(col), str(dtype)] for col, dtype in profile.schema]
        row_count = int(profile.row_count)

        def run(ctx: Context) -> Dataset:
            ctx.require("register_dataset", "register datasets")
            _check_trigger_active(ctx)
            # The same content registered again (under this name) is the version that
            # already holds it, whichever it is: not a new version with the same data.
            existing = ctx.conn.execute(
                sa.select(datasets)
                .where(datasets.c.name == name, datasets.c.fingerprint == fingerprint)
                .order_by(datasets.c.version.desc())
                .limit(1)
            ).first()
            if existing is not None:
                return dataset_record(ctx.conn, existing)
            latest = ctx.conn.execute(
                sa.select(sa.func.max(datasets.c.version)).where(datasets.c.name == name)
            ).scalar()
            version = 1 if latest is None else latest + 1
            profile_id = _insert_profile(ctx.conn, data, fingerprint)
            ctx.conn.execute(
                datasets.insert().values(
                    name=name,
                    version=version,
                    fingerprint=fingerprint,
                    schema_json=canonical(schema),
                    row_count=row_count,
                    uri=location,
                    profile_id=profile_id,
                    created_by=ctx.who.user_id,
                    created_at=now(),
                )
            )
            ctx.record(
                "dataset.register",
                f"dataset:{name}@{version}",
                None,
                {"fingerprint": fingerprint, "rows": row_count, "uri": location},
            )
            return dataset_record(ctx.conn, get_dataset_row(ctx.conn, f"{name}@{version}"))

        return self._write("dataset.register", f"dataset:{name}", run)

    def get_dataset(self, ref: str) -> Dataset:
        """A dataset by ``name`` (latest version) or ``name@version``."""
        return self._read(lambda conn, who: dataset_record(conn, get_dataset_row(conn, ref)))

    def list_datasets(self, name: str | None = None) -> list[Dataset]:
        """Every dataset version (of one name, or all), by name and version."""

        def run(conn: Connection, who: Identity) -> list[Dataset]:
            query = sa.select(datasets).order_by(datasets.c.name, datasets.c.version)
            if name is not None:
                query = query.where(datasets.c.name == name)
            return [dataset_record(conn, row) for row in conn.execute(query)]

        return self._read(run)

    def dataset_profile_bytes(self, ref: str) -> bytes:
        """The stored profile of a dataset version."""

        def run(conn: Connection, who: Identity) -> bytes:
            row = get_dataset_row(conn, ref)
            if row.profile_id is None:
                raise NotFound(f"dataset {ref!r} has no profile")
            return bytes(
                conn.execute(
                    sa.select(profiles.c.data).where(profiles.c.id == row.profile_id)
                ).scalar_one()
            )

        return self._read(run)

    def dataset_profile(self, ref: str) -> Any:
        """The stored profile of a dataset version as a ``driftline.Profile``."""
        from driftline import Profile

        return Profile.from_bytes(self.dataset_profile_bytes(ref))
