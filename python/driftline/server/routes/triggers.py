"""Triggers: each monitor's outbox (pending, delivered and dead deliveries), redelivery of
dead letters, and dispatching what is pending now."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from driftline.server.auth import Permission, Principal, SecuredRoute, current_principal, requires
from driftline.server.routes.monitors import served_monitor

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", route_class=SecuredRoute, tags=["triggers"])

Who = Annotated[Principal, Depends(current_principal)]
MonitorName = Annotated[str, Path(min_length=1, max_length=64)]


class ReplayIn(BaseModel):
    """Dead letters to redeliver (all of them when ``ids`` is omitted)."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=10_000)] | None = (
        None
    )


@router.get("/monitors/{name}/outbox")
@requires(Permission.READ)
def outbox(
    request: Request,
    name: MonitorName,
    who: Who,
    status: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    """The monitor's deliveries, oldest first, optionally of one status."""
    return [asdict(d) for d in served_monitor(request, name, who).monitor.outbox.list(status)]


@router.get("/monitors/{name}/triggers")
@requires(Permission.READ)
def triggers(request: Request, name: MonitorName, who: Who) -> list[dict[str, Any]]:
    """Triggers fired (and suppressed) in the windows still in history."""
    out = []
    for w in served_monitor(request, name, who).monitor.history:
        out += [{**t.to_dict(), "suppressed": False} for t in w.triggers]
        out += [{**t.to_dict(), "suppressed": True} for t in w.suppressed]
    return out


@router.post("/monitors/{name}/outbox/replay")
@requires(Permission.ADMIN)
def replay(request: Request, name: MonitorName, body: ReplayIn, who: Who) -> dict[str, int]:
    """Set dead letters back to pending and deliver them now."""
    monitor = served_monitor(request, name, who).monitor
    count = monitor.outbox.replay(body.ids)
    return {"replayed": count, **monitor.dispatch()}


@router.post("/monitors/{name}/outbox/dispatch")
@requires(Permission.CONTRIBUTE)
def dispatch(request: Request, name: MonitorName, who: Who) -> dict[str, int]:
    """Deliver pending deliveries now."""
    return dict(served_monitor(request, name, who).monitor.dispatch())
