"""Users, tokens, the kill switch and the audit trail (admin, and audit for approvers).

A token is shown once, in the answer that creates it (``Cache-Control: no-store``); the
server never logs it, and listings show only public token ids (``tok_...``).
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from driftline.server.auth import Permission, Principal, SecuredRoute, current_principal, requires
from driftline.server.limits import INT64_MAX, Int64
from driftline.server.routes.registry import VersionRef, version_key

__all__ = ["filter_events", "router"]

router = APIRouter(prefix="/api/v1", route_class=SecuredRoute, tags=["access"])

Who = Annotated[Principal, Depends(current_principal)]
Name = Annotated[str, Path(min_length=1, max_length=256)]
_MAX_TTL = 366 * 24 * 3600


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(_Body):
    """A user to create; the answer carries its first token."""

    name: Annotated[str, Field(min_length=1, max_length=256)]
    role: Annotated[str, Field(pattern="^(viewer|contributor|approver|admin)$")] = "viewer"


class RoleIn(_Body):
    """A new role."""

    role: Annotated[str, Field(pattern="^(viewer|contributor|approver|admin)$")]


class TokenIn(_Body):
    """A token to create for ``user``, optionally expiring."""

    user: Annotated[str, Field(min_length=1, max_length=256)]
    expires_in_seconds: Annotated[float, Field(gt=0, le=_MAX_TTL)] | None = None


class SuspendIn(_Body):
    """The kill switch: why, and optionally one version only."""

    reason: Annotated[str, Field(min_length=1, max_length=65_536)]
    version: Int64 | None = None


class TriggerIn(_Body):
    """A retraining trigger identity for a model."""

    name: Annotated[str, Field(min_length=1, max_length=256)]


def _secret(body: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    return body


@router.get("/users")
@requires(Permission.ADMIN)
def list_users(who: Who) -> list[dict[str, Any]]:
    """Every user."""
    return [u.to_dict() for u in who.session.list_users()]


@router.post("/users", status_code=201)
@requires(Permission.ADMIN)
def create_user(body: UserIn, who: Who, response: Response) -> dict[str, Any]:
    """Create a user and return its first token (shown once)."""
    token = who.session.create_user(body.name, role=body.role)
    return _secret({"name": body.name, "role": body.role, "token": token}, response)


@router.put("/users/{user}/role")
@requires(Permission.ADMIN)
def set_role(user: Name, body: RoleIn, who: Who) -> dict[str, str]:
    """Change a user's role (effective on the user's next request)."""
    who.session.set_role(user, body.role)
    return {"name": user, "role": body.role}


@router.post("/users/{user}/disable")
@requires(Permission.ADMIN)
def disable_user(user: Name, who: Who) -> dict[str, Any]:
    """Disable a user: every token of theirs stops working."""
    who.session.disable_user(user)
    return {"name": user, "disabled": True}


@router.get("/tokens")
@requires(Permission.ADMIN)
def list_tokens(
    who: Who, user: Annotated[str | None, Query(max_length=256)] = None
) -> list[dict[str, Any]]:
    """Tokens by public id, with creation, expiry and revocation (never the secret)."""
    return [t.to_dict() for t in who.session.list_tokens(user)]


@router.post("/tokens", status_code=201)
@requires(Permission.ADMIN)
def create_token(body: TokenIn, who: Who, response: Response) -> dict[str, Any]:
    """Create a token for a user (shown once)."""
    token = who.session.create_token(body.user, expires_in=body.expires_in_seconds)
    return _secret({"user": body.user, "token": token}, response)


@router.delete("/tokens/{token_id}", status_code=204)
@requires(Permission.ADMIN)
def revoke_token(token_id: Annotated[str, Path(min_length=1, max_length=128)], who: Who) -> None:
    """Revoke a token by its public id."""
    who.session.revoke_token(token_id)


@router.post("/models/{model}/suspend")
@requires(Permission.ADMIN)
def suspend(model: Name, body: SuspendIn, who: Who) -> dict[str, Any]:
    """Kill switch: block promotion, approval, aliasing and the model's triggers."""
    who.session.suspend(model, body.version, reason=body.reason)
    return {"model": model, "version": body.version, "suspended": True}


@router.post("/models/{model}/resume")
@requires(Permission.ADMIN)
def resume(
    model: Name, who: Who, version: Annotated[VersionRef | None, Query()] = None
) -> dict[str, Any]:
    """Lift a suspension."""
    key = version_key(version) if version is not None else None
    who.session.resume(model, key)
    return {"model": model, "version": key, "suspended": False}


@router.post("/models/{model}/triggers", status_code=201)
@requires(Permission.ADMIN)
def create_trigger(model: Name, body: TriggerIn, who: Who, response: Response) -> dict[str, Any]:
    """Create a retraining trigger identity (it may only register candidates)."""
    token = who.session.create_trigger(model, body.name)
    return _secret({"model": model, "name": body.name, "token": token}, response)


def filter_events(
    events: list[Any], *, actor: str | None, action: str | None, target: str | None
) -> list[Any]:
    """Events whose actor and action equal, and whose target contains, the filters."""
    return [
        e
        for e in events
        if (actor is None or e.actor == actor)
        and (action is None or e.action == action)
        and (target is None or target in e.target)
    ]


@router.get("/audit/events")
@requires(Permission.AUDIT)
def audit_events(
    request: Request,
    who: Who,
    since: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    actor: Annotated[str | None, Query(max_length=256)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=512)] = None,
) -> list[dict[str, Any]]:
    """A page of the audit trail after ``since`` (filters apply within the page)."""
    events = request.app.state.registry.audit.events(since=since, limit=limit)
    return [e.to_dict() for e in filter_events(events, actor=actor, action=action, target=target)]


@router.get("/audit/verify")
@requires(Permission.AUDIT)
def audit_verify(request: Request, who: Who) -> dict[str, Any]:
    """Walk the chain; ``ok`` false names every modified, deleted or inserted event."""
    return dict(request.app.state.registry.audit.verify().to_dict())


@router.get("/audit/export", response_class=Response)
@requires(Permission.ADMIN)
def audit_export(
    request: Request, who: Who, since: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0
) -> Response:
    """The events as JSON lines (unsigned: keep the signing key off the server)."""
    out = io.StringIO()
    request.app.state.registry.audit.export(out, since=since)
    return Response(out.getvalue(), media_type="application/x-ndjson")


@router.get("/settings")
@requires(Permission.ADMIN)
def settings(who: Who) -> dict[str, str]:
    """The governance settings (required approvals, evidence)."""
    return dict(who.session.settings())
