"""``/metrics``: Prometheus text format (server, registry and every monitor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from driftline.server.auth import Permission, Principal, SecuredRoute, current_principal, requires

__all__ = ["router"]

router = APIRouter(route_class=SecuredRoute, tags=["metrics"])


@router.get("/metrics", response_class=Response)
@requires(Permission.READ)
def metrics(request: Request, who: Annotated[Principal, Depends(current_principal)]) -> Response:
    """Every instrument, for a scraper holding a viewer token (``bearer_token_file``)."""
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
