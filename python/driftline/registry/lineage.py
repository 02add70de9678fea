"""Lineage: a version's parents, training data and reference profile."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import NotFound
from driftline.registry.auth import Identity
from driftline.registry.base import OpsBase
from driftline.registry.queries import dataset_record, get_model_row, get_version_row
from driftline.registry.records import LineageNode
from driftline.registry.schema import datasets, profiles, versions

__all__ = ["LineageOps"]


class LineageOps(OpsBase):
    """Reading lineage chains and stored reference profiles."""

    def lineage(self, model: str, version: int | str) -> list[LineageNode]:
        """The chain from this version back through its parents, each with its training
        dataset and reference profile."""

        def run(conn: Connection, who: Identity) -> list[LineageNode]:
            model_row = get_model_row(conn, model)
            row = get_version_row(conn, model_row, version)
            chain: list[LineageNode] = []
            seen: set[int] = set()
            while row is not None and row.id not in seen:
                seen.add(row.id)
                dataset = None
                if row.training_dataset_id is not None:
                    dataset = dataset_record(
                        conn,
                        conn.execute(
                            sa.select(datasets).where(datasets.c.id == row.training_dataset_id)
                        ).one(),
                    )
                profile_sha = None
                if row.reference_profile_id is not None:
                    profile_sha = conn.execute(
                        sa.select(profiles.c.sha256).where(
                            profiles.c.id == row.reference_profile_id
                        )
                    ).scalar()
                parent = None
                if row.parent_version_id is not None:
                    parent = conn.execute(
                        sa.select(versions).where(versions.c.id == row.parent_version_id)
                    ).first()
                chain.append(
                    LineageNode(
                        model=model_row.name,
                        version=row.number,
                        stage=row.stage,
                        checksum=row.checksum,
                        training_dataset=dataset,
                        reference_profile_sha256=profile_sha,
                        parent_version=None if parent is None else parent.number,
                    )
                )
                row = parent
            return chain

        return self._read(run)

    def reference_profile_bytes(self, model: str, version: int | str) -> bytes:
        """The stored reference profile of a version (driftline's own serialisation)."""

        def run(conn: Connection, who: Identity) -> bytes:
            row = get_version_row(conn, get_model_row(conn, model), version)
            if row.reference_profile_id is None:
                raise NotFound(f"{model!r} version {row.number} has no reference profile")
            data = conn.execute(
                sa.select(profiles.c.data).where(profiles.c.id == row.reference_profile_id)
            ).scalar_one()
            return bytes(data)

        return self._read(run)

    def reference_profile(self, model: str, version: int | str) -> Any:
        """The reference profile of a version as a ``driftline.Profile``."""
        from driftline import Profile

        return Profile.from_bytes(self.reference_profile_bytes(model, version))
