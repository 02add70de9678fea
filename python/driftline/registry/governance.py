"""Approvals (four-eyes, tied to the artifact checksum) and lifecycle transitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from driftline.exceptions import ConflictError, InvalidParameter
from driftline.registry.admin import read_settings
from driftline.registry.auth import Denied, Identity, is_owner
from driftline.registry.base import OpsBase
from driftline.registry.context import Context
from driftline.registry.inputs import check_text
from driftline.registry.jsonutil import canonical, loads, now
from driftline.registry.lifecycle import check_stage, check_transition
from driftline.registry.queries import (
    get_model_row,
    get_version_row,
    version_records,
    versions_query,
)
from driftline.registry.records import Approval, ModelVersion
from driftline.registry.schema import approvals, audit_events, users, versions

__all__ = ["GovernanceOps", "evidence_summary"]


def evidence_summary(evidence: Any) -> tuple[dict[str, Any], bool]:
    """A stored form of an evidence report and whether it passes.

    Accepts a validation report (``passed``), a drift report (``drifted``), a fairness
    report (``passes_four_fifths``), or a dict holding one of those keys.
    """
    data = evidence.to_dict() if hasattr(evidence, "to_dict") else evidence
    if not isinstance(data, dict):
        raise InvalidParameter("evidence must be a report (with to_dict()) or a dict")
    for key, passing in (("passed", True), ("drifted", False), ("passes_four_fifths", True)):
        value = getattr(evidence, key, None)
        if value is None:
            value = data.get(key)
        if isinstance(value, bool):
            kind = type(evidence).__name__ if not isinstance(evidence, dict) else "dict"
            return {"kind": kind, key: value, "report": data}, value is passing
    raise InvalidParameter(
        "evidence must say whether it passes: 'passed', 'drifted' or 'passes_four_fifths'"
    )


@dataclass(frozen=True)
class _History:
    """What a version's audit events say about the decisions that count on it."""

    # Decisions (approval rows of the version, by id) made before its last move out of
    # production or archived: they were given for an earlier promotion and do not count.
    stale_decisions: int
    # Who set the current artifact and checksum: its creator, or the last user who
    # changed them with update_version. Neither may decide on it (four-eyes).
    artifact_setter: int
    # Whether the version has ever been in production.
    served: bool


def _history(conn: Connection, model: str, version: Any) -> _History:
    """Read the version's history from its audit events.

    The tables keep only a version's current state; the audit trail, appended in the same
    transaction as each change, is the record of when it moved and who changed its
    artifact. Each decision appends exactly one ``approve``/``reject`` event with its
    approval row, so counting events before a move counts the approval rows before it.
    """
    decisions = stale = 0
    setter: str | None = None
    served = version.stage == "production"
    for event in conn.execute(
        sa.select(
            audit_events.c.action,
            audit_events.c.actor,
            audit_events.c.before_json,
            audit_events.c.after_json,
        )
        .where(
            audit_events.c.target == f"version:{model}/{version.number}",
            audit_events.c.action.in_(("approve", "reject", "transition", "version.update")),
        )
        .order_by(audit_events.c.seq)
    ):
        if event.action in ("approve", "reject"):
            decisions += 1
        elif event.action == "transition":
            before, after = loads(event.before_json) or {}, loads(event.after_json) or {}
            if before.get("stage") in ("production", "archived"):
                stale = decisions
            served = served or after.get("stage") == "production"
        elif "artifact_uri" in (loads(event.after_json) or {}):
            setter = event.actor
    setter_id = version.created_by
    if setter is not None:
        found = conn.execute(sa.select(users.c.id).where(users.c.name == setter)).scalar()
        setter_id = version.created_by if found is None else found
    return _History(stale_decisions=stale, artifact_setter=setter_id, served=served)


def _counted(version: Any, history: _History, index: int, row: Any) -> bool:
    """Whether the ``index``-th decision on the version (by id) counts toward promotion:
    on the current checksum, since the version last left production or archived, and by
    neither its creator nor whoever set its artifact."""
    return (
        row.checksum == version.checksum
        and index >= history.stale_decisions
        and row.user_id not in (version.created_by, history.artifact_setter)
    )


def _latest_decisions(conn: Connection, model: str, version: Any) -> dict[int, Any]:
    """The latest counted decision of each approver (see :func:`_counted`)."""
    history = _history(conn, model, version)
    latest: dict[int, Any] = {}
    rows = conn.execute(
        sa.select(approvals).where(approvals.c.version_id == version.id).order_by(approvals.c.id)
    )
    for index, row in enumerate(rows):
        if _counted(version, history, index, row):
            latest[row.user_id] = row
    return latest


def _check_ready(conn: Connection, model: Any, version: Any) -> None:
    config = read_settings(conn)
    needed = int(config["required_approvals"])
    decisions = _latest_decisions(conn, model.name, version)
    rejected = [r for r in decisions.values() if r.decision == "reject"]
    approved = [r for r in decisions.values() if r.decision == "approve"]
    if rejected:
        raise ConflictError(
            f"{model.name!r} version {version.number} has a standing rejection on its artifact"
        )
    if len(approved) < needed:
        raise ConflictError(
            f"{model.name!r} version {version.number} needs {needed} approval(s) by approvers "
            f"other than its creator on checksum {version.checksum}; it has {len(approved)}"
        )
    if config["require_evidence"] == "true" and not any(r.evidence_passed for r in approved):
        raise ConflictError(
            f"{model.name!r} version {version.number} needs an approval with passing evidence"
        )


def _check_mover(conn: Connection, who: Identity, model: Any, version: Any, stage: str) -> None:
    """Raise Denied unless ``who`` may move ``version`` to ``stage`` (deny by default).

    Approvers and admins may promote, archive and retire. Owners move their versions
    through development and staging, promote with the approvals promotion needs anyway,
    and archive or retire versions that never reached production; a version that has
    served (taking it out of production, or retiring it for good) is the approvers' call.
    """
    if who.kind == "trigger":
        raise Denied(who.name, f"trigger {who.name!r} may not move versions")
    if who.may("write_any"):
        return
    if stage in ("production", "archived", "retired") and who.may("promote"):
        return
    if not (who.may("write_owned") and is_owner(conn, model.id, who.user_id)):
        raise Denied(who.name, f"{who.name!r} ({who.role}) may not move to {stage}")
    if stage in ("archived", "retired") and _history(conn, model.name, version).served:
        raise Denied(
            who.name,
            f"{who.name!r} ({who.role}) may not move {model.name!r} version {version.number} "
            f"to {stage}: it has been in production, so an approver must",
        )


class GovernanceOps(OpsBase):
    """Approvals and lifecycle transitions."""

    def approve(
        self,
        model: str,
        version: int | str,
        *,
        comment: str | None = None,
        evidence: Any = None,
    ) -> Approval:
        """Approve a version (approvers and admins who did not create it: four-eyes).

        The approval holds the artifact's checksum: if the artifact changes, it no longer
        counts.

        Parameters
        ----------
        evidence
            Optional report supporting the decision (validation, drift or fairness).
        """
        return self._decide(model, version, "approve", comment, evidence)

    def reject(
        self, model: str, version: int | str, *, comment: str | None = None, evidence: Any = None
    ) -> Approval:
        """Reject a version: it cannot reach production until the rejecter approves."""
        return self._decide(model, version, "reject", comment, evidence)

    def _decide(
        self, model: str, version: int | str, decision: str, comment: str | None, evidence: Any
    ) -> Approval:
        check_text(comment, "comment")
        stored, passed = (None, None) if evidence is None else evidence_summary(evidence)
        # Encoded before the transaction: a report that cannot be stored fails early.
        evidence_json = None if stored is None else canonical(stored, "evidence")
        target = f"version:{model}/{version}"

        def run(ctx: Context) -> Approval:
            ctx.require("approve", f"{decision} versions")
            model_row = get_model_row(ctx.conn, model)
            row = get_version_row(ctx.conn, model_row, version)
            if row.created_by == ctx.who.user_id:
                raise Denied(
                    ctx.who.name,
                    f"{ctx.who.name!r} created {model!r} version {row.number} and may not "
                    f"{decision} it (four-eyes)",
                )
            if _history(ctx.conn, model, row).artifact_setter == ctx.who.user_id:
                raise Denied(
                    ctx.who.name,
                    f"{ctx.who.name!r} set the artifact of {model!r} version {row.number} "
                    f"and may not {decision} it (four-eyes)",
                )
            if model_row.suspended or row.suspended:
                raise ConflictError(f"{model!r} version {row.number} is suspended")
            if row.stage in ("production", "retired"):
                raise ConflictError(f"{model!r} version {row.number} is already {row.stage}")
            stamp = now()
            ctx.conn.execute(
                approvals.insert().values(
                    version_id=row.id,
                    user_id=ctx.who.user_id,
                    decision=decision,
                    checksum=row.checksum,
                    comment=comment,
                    evidence_json=evidence_json,
                    evidence_passed=passed,
                    created_at=stamp,
                )
            )
            ctx.record(
                decision,
                f"version:{model}/{row.number}",
                None,
                {"checksum": row.checksum, "comment": comment, "evidence_passed": passed},
            )
            return Approval(
                model=model,
                version=row.number,
                approver=ctx.who.name,
                decision=decision,
                checksum=row.checksum,
                comment=comment,
                evidence=stored,
                evidence_passed=passed,
                created_at=stamp,
                valid=True,
            )

        return self._write(decision, target, run)

    def approvals(self, model: str, version: int | str) -> list[Approval]:
        """Every decision on a version; ``valid`` says whether it counts toward promotion.

        A decision stops counting when the artifact changes, when the version leaves
        production or archived (a re-promotion needs new approvals), and when its author
        created the version or set its current artifact (four-eyes).
        """

        def run(conn: Connection, who: Identity) -> list[Approval]:
            row = get_version_row(conn, get_model_row(conn, model), version)
            history = _history(conn, model, row)
            return [
                Approval(
                    model=model,
                    version=row.number,
                    approver=r.name,
                    decision=r.decision,
                    checksum=r.checksum,
                    comment=r.comment,
                    evidence=loads(r.evidence_json),
                    evidence_passed=r.evidence_passed,
                    created_at=r.created_at,
                    valid=_counted(row, history, index, r),
                )
                for index, r in enumerate(
                    conn.execute(
                        sa.select(approvals, users.c.name)
                        .join(users, users.c.id == approvals.c.user_id)
                        .where(approvals.c.version_id == row.id)
                        .order_by(approvals.c.id)
                    )
                )
            ]

        return self._read(run)

    def transition(
        self, model: str, version: int | str, stage: str, *, revision: int | None = None
    ) -> ModelVersion:
        """Move a version to ``stage``; to production only with its approvals.

        Promoting archives the current production version in the same transaction, so a
        model has exactly one production version at any time.

        Parameters
        ----------
        revision
            The revision the caller read; a version changed since is refused
            (ConflictError). Without it, the version as found is moved.
        """
        check_stage(stage)
        target = f"version:{model}/{version}"

        def run(ctx: Context) -> ModelVersion:
            conn, who = ctx.conn, ctx.who
            model_row = get_model_row(conn, model)
            row = get_version_row(conn, model_row, version)
            _check_mover(conn, who, model_row, row, stage)
            if revision is not None and row.revision != revision:
                raise ConflictError(
                    f"{model!r} version {row.number} changed since it was read (revision "
                    f"{row.revision}, not {revision}): read it again"
                )
            if (model_row.suspended or row.suspended) and stage not in ("archived", "retired"):
                raise ConflictError(f"{model!r} version {row.number} is suspended")
            check_transition(row.stage, stage)
            if stage == "production":
                _check_ready(conn, model_row, row)
                current = conn.execute(
                    sa.select(versions).where(
                        versions.c.model_id == model_row.id, versions.c.stage == "production"
                    )
                ).first()
                if current is not None:
                    self._move(ctx, model, current, "archived")
            self._move(ctx, model, row, stage)
            return version_records(
                conn, versions_query(conn.dialect.name).where(versions.c.id == row.id)
            )[0]

        return self._write("transition", target, run)

    def promote(
        self, model: str, version: int | str, *, revision: int | None = None
    ) -> ModelVersion:
        """Shorthand for ``transition(model, version, "production")``."""
        return self.transition(model, version, "production", revision=revision)

    @staticmethod
    def _move(ctx: Context, model: str, row: Any, stage: str) -> None:
        updated = ctx.conn.execute(
            versions.update()
            .where(versions.c.id == row.id, versions.c.revision == row.revision)
            .values(stage=stage, revision=versions.c.revision + 1, updated_at=now())
        )
        if updated.rowcount != 1:
            raise ConflictError(f"{model!r} version {row.number} changed concurrently")
        ctx.record(
            "transition",
            f"version:{model}/{row.number}",
            {"stage": row.stage, "revision": row.revision},
            {"stage": stage, "revision": row.revision + 1},
        )
