"""Aliases: named pointers (``champion``, ``challenger``) to versions of a model."""

from __future__ import annotations

import sqlalchemy as sa

from driftline.exceptions import ConflictError
from driftline.registry.base import OpsBase
from driftline.registry.context import Context
from driftline.registry.inputs import check_alias
from driftline.registry.queries import get_model_row, get_version_row
from driftline.registry.schema import aliases, versions

__all__ = ["AliasOps"]


class AliasOps(OpsBase):
    """Setting and removing aliases (model owners and admins)."""

    def set_alias(self, model: str, alias: str, version: int) -> None:
        """Point ``alias`` (``champion``, ``challenger`` ...) at a version."""
        check_alias(alias)

        def run(ctx: Context) -> None:
            model_row = get_model_row(ctx.conn, model)
            ctx.require_model_write(model_row, f"set aliases of {model!r}")
            row = get_version_row(ctx.conn, model_row, version)
            if model_row.suspended or row.suspended:
                raise ConflictError(f"{model!r} version {row.number} is suspended")
            if row.stage == "retired":
                raise ConflictError(f"{model!r} version {row.number} is retired")
            old = ctx.conn.execute(
                sa.select(aliases.c.version_id).where(
                    aliases.c.model_id == model_row.id, aliases.c.alias == alias
                )
            ).scalar()
            old_number = None
            if old is not None:
                old_number = ctx.conn.execute(
                    sa.select(versions.c.number).where(versions.c.id == old)
                ).scalar()
                ctx.conn.execute(
                    aliases.update()
                    .where(aliases.c.model_id == model_row.id, aliases.c.alias == alias)
                    .values(version_id=row.id)
                )
            else:
                ctx.conn.execute(
                    aliases.insert().values(model_id=model_row.id, alias=alias, version_id=row.id)
                )
            ctx.record(
                "alias.set",
                f"alias:{model}/{alias}",
                None if old_number is None else {"version": old_number},
                {"version": row.number},
            )

        self._write("alias.set", f"alias:{model}/{alias}", run)

    def remove_alias(self, model: str, alias: str) -> None:
        """Remove an alias."""

        def run(ctx: Context) -> None:
            model_row = get_model_row(ctx.conn, model)
            ctx.require_model_write(model_row, f"remove aliases of {model!r}")
            row = get_version_row(ctx.conn, model_row, alias)
            ctx.conn.execute(
                aliases.delete().where(aliases.c.model_id == model_row.id, aliases.c.alias == alias)
            )
            ctx.record("alias.remove", f"alias:{model}/{alias}", {"version": row.number}, None)

        self._write("alias.remove", f"alias:{model}/{alias}", run)
