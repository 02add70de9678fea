"""``/healthz`` (the process answers) and ``/readyz`` (the registry answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from driftline.server.auth import Permission, SecuredRoute, requires

__all__ = ["router"]

router = APIRouter(route_class=SecuredRoute, tags=["health"])


@router.get("/healthz")
@requires(Permission.PUBLIC)
def healthz() -> dict[str, str]:
    """Liveness: the process serves requests. Says nothing else, to anybody."""
    return {"status": "ok"}


@router.get("/readyz")
@requires(Permission.PUBLIC)
def readyz(request: Request) -> JSONResponse:
    """Readiness: the registry database answers a read."""
    try:
        request.app.state.registry.audit.events(limit=1)
    except Exception:
        # The cause goes to the server's log through nothing here: a probe learns only
        # that the server is not ready.
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})
