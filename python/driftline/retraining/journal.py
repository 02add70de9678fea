"""The run's record in the registry: one audited event per step, one for the run's end,
one approval request; and the look-ups that make a redelivery a no-op.

Events (all carry ``run`` and ``delivery_id``):

- ``retraining.step`` on ``model:<name>``: ``step``, ``status``, ``message``, ``detail``;
- ``retraining.run`` on ``model:<name>``: ``status``, ``reason``, ``version``, ``trigger``;
- ``approval.request`` on ``version:<name>/<n>``: the evaluation and the gate verdicts,
  for the approvers.

They are written through the session like every other registry mutation, so they sit in
the hash chain, with the caller (the trigger identity) as actor.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from driftline.registry.jsonutil import loads
from driftline.registry.schema import audit_events

__all__ = [
    "DELIVERY_TAG",
    "FINAL",
    "append",
    "candidate_for",
    "finished_run",
    "plain",
    "requested",
]

#: The version tag holding the delivery id that produced a candidate.
DELIVERY_TAG = "retraining.delivery_id"
#: Run outcomes after which a redelivery of the same id does nothing.
FINAL = ("awaiting_approval", "stopped")


def plain(value: Any) -> Any:
    """JSON-ready: numpy scalars become numbers, NaN and infinities None, other objects
    their ``str``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return plain(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def append(session: Any, action: str, target: str, after: dict[str, Any]) -> None:
    """Append one audited event as the session's identity (read permission suffices: the
    event records what the caller did, it changes nothing else)."""
    body = plain(after)

    def run(ctx: Any) -> None:
        ctx.require("read", f"record {action}")
        ctx.record(action, target, None, body)

    session._write(action, target, run)


def _events(session: Any, action: str, target: str, delivery_id: str) -> list[dict[str, Any]]:
    def run(conn: Any, who: Any) -> list[dict[str, Any]]:
        rows = conn.execute(
            sa.select(audit_events.c.after_json)
            .where(
                audit_events.c.target == target,
                audit_events.c.action == action,
                audit_events.c.after_json.contains(delivery_id, autoescape=True),
            )
            .order_by(audit_events.c.seq)
        ).all()
        found = [loads(r.after_json) for r in rows]
        return [f for f in found if isinstance(f, dict) and f.get("delivery_id") == delivery_id]

    return session._read(run, target=target)  # type: ignore[no-any-return]


def finished_run(session: Any, model: str, delivery_id: str) -> dict[str, Any] | None:
    """The last final ``retraining.run`` event of this delivery id, if any."""
    done = [
        e
        for e in _events(session, "retraining.run", f"model:{model}", delivery_id)
        if e.get("status") in FINAL
    ]
    return done[-1] if done else None


def requested(session: Any, model: str, version: int, delivery_id: str) -> bool:
    """Whether this delivery already requested approval of the version."""
    return bool(_events(session, "approval.request", f"version:{model}/{version}", delivery_id))


def candidate_for(session: Any, model: str, delivery_id: str) -> Any:
    """The version an earlier delivery of this id registered, or None."""
    found = session.search_versions(tags={DELIVERY_TAG: delivery_id}, model=model)
    return found[-1] if found else None
