"""Ask for retraining: recorded on the model in the registry, refused while it is suspended."""

from __future__ import annotations

import json
from typing import Any

from driftline.actions.base import DeliveryError, Suppressed

__all__ = ["RequestRetraining"]


class RequestRetraining:
    """Record a retraining request on ``model`` in the registry's audit trail.

    Parameters
    ----------
    session
        A registry session (``registry.session(token)``), typically the model's retraining
        trigger identity (``session.create_trigger(model, name)`` made its token).
    model
        The registered model's name.

    The request is an audited event ``retraining.request`` on ``model:<name>`` carrying the
    trigger and its delivery id. While the model is suspended (the kill switch) nothing is
    recorded and the delivery ends as ``suppressed``.
    """

    def __init__(self, session: Any, model: str, *, name: str | None = None) -> None:
        self.session = session
        self.model = model
        self.name = name or f"retraining:{model}"

    def deliver(self, payload: dict[str, Any], delivery_id: str) -> None:
        """Record the request once (the delivery id makes a repeat a no-op)."""
        try:
            model = self.session.get_model(self.model)
        except Exception as exc:
            raise DeliveryError(f"registry: cannot read model {self.model!r}: {exc}") from exc
        if model.suspended:
            raise Suppressed(f"model {self.model!r} is suspended: {model.suspended_reason}")
        import sqlalchemy as sa

        from driftline.registry.jsonutil import loads
        from driftline.registry.schema import audit_events

        target = f"model:{self.model}"
        after = {
            "delivery_id": delivery_id,
            "trigger": json.loads(json.dumps(payload, default=str)),
        }

        quoted = json.dumps(delivery_id, ensure_ascii=False)  # as the registry stores it

        def run(ctx: Any) -> None:
            ctx.require("read", "request retraining")
            # The delivery id is the idempotency key: a redelivery after a crash is a no-op.
            # The SQL match only narrows the rows: on the id as the stored JSON spells
            # it, quoted, with LIKE's `_` and `%` escaped. The parsed id must then be
            # equal, since a trigger payload may quote another request's id.
            rows = ctx.conn.execute(
                sa.select(audit_events.c.after_json).where(
                    audit_events.c.target == target,
                    audit_events.c.action == "retraining.request",
                    audit_events.c.after_json.contains(quoted, autoescape=True),
                )
            ).all()
            for row in rows:
                seen = loads(row.after_json)
                if isinstance(seen, dict) and seen.get("delivery_id") == delivery_id:
                    return
            ctx.record("retraining.request", target, None, after)

        self.session._write("retraining.request", target, run)
