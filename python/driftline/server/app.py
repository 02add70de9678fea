"""The application factory: ``create_app(registry_url)`` -> a FastAPI app.

The process serves the REST API under ``/api/v1``, the dashboard under ``/ui``,
``/metrics``, ``/healthz``, ``/readyz`` and the OpenAPI document at ``/openapi.json``.
Every route goes through :class:`~driftline.server.auth.SecuredRoute`; the factory refuses
to build an app holding any other kind of route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from driftline._version import __version__
from driftline.server.auth import (
    BearerCache,
    Permission,
    Principal,
    SecuredRoute,
    UiSessions,
    check_all_secured,
    current_principal,
    requires,
    route_permission,
)
from driftline.server.errors import install_error_handlers
from driftline.server.hub import MonitorHub
from driftline.server.limits import DEFAULT_LIMIT, INGEST_LIMIT, BodyLimit
from driftline.server.metrics import ServerMetrics

__all__ = ["create_app"]

_API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Scripts only from this origin (charts are drawn by a static script from JSON data
# attributes, never by inline code); plotly.js injects its own style elements.
_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    b"frame-ancestors 'none'"
)


def _security_headers(app: Any) -> Any:
    async def add_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in _API_HEADERS if h[0] not in names]
                headers.append((b"content-security-policy", _CSP))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return add_headers


def _openapi_router(app: FastAPI) -> APIRouter:
    router = APIRouter(route_class=SecuredRoute, tags=["meta"])

    @router.get("/openapi.json", include_in_schema=False)
    @requires(Permission.READ)
    def openapi(who: Annotated[Principal, Depends(current_principal)]) -> JSONResponse:
        """The OpenAPI document, each operation naming its permission."""
        return JSONResponse(_openapi_document(app))

    return router


def _openapi_document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a dlt_ token"}
        }
        by_path = {
            (getattr(r, "path_format", ""), m.lower()): route_permission(r)
            for r in app.routes
            for m in getattr(r, "methods", ()) or ()
        }
        for path, ops in doc.get("paths", {}).items():
            for method, op in ops.items():
                permission = by_path.get((path, method))
                op["x-driftline-permission"] = permission.value if permission else None
                if permission is not Permission.PUBLIC:
                    op["security"] = [{"bearer": []}]
        app.openapi_schema = doc
    return app.openapi_schema


def create_app(
    registry_url: str | None = None,
    *,
    registry: Any = None,
    max_body_bytes: int = DEFAULT_LIMIT,
    max_ingest_bytes: int = INGEST_LIMIT,
    dashboard: bool = True,
    state_dir: Path | None = None,
    max_monitors: int = 100,
    extra_routers: Iterable[APIRouter] = (),
    monitors: str | Path | None = None,
) -> FastAPI:
    """Build the server over a registry.

    Parameters
    ----------
    registry_url
        The registry database URL (``sqlite:///...`` or ``postgresql+psycopg://...``).
    registry
        An open :class:`driftline.Registry` to use instead of ``registry_url``.
    max_body_bytes, max_ingest_bytes
        Request body limits: every route, and batch ingestion.
    dashboard
        Serve the dashboard under ``/ui``.
    state_dir
        A folder for the monitors' durable state (memory when None).
    max_monitors
        How many monitors the server runs at most.
    extra_routers
        More routers (their routes must use ``SecuredRoute``).
    monitors
        A TOML file of operator-declared monitors (see :mod:`driftline.server.declared`),
        started with the app; its ``state_dir`` is the default ``state_dir``.

    Returns
    -------
    FastAPI
        The application; ``app.state.registry`` is the registry it serves.

    Examples
    --------
    >>> from driftline.server import create_app
    >>> app = create_app("sqlite://")
    >>> sorted(p for p in app.state.public_paths)
    ['/healthz', '/readyz', '/ui/login', '/ui/static/{name}']
    """
    declared = None
    if monitors is not None:
        from driftline.server.declared import load_serve_config

        declared = load_serve_config(monitors)
        state_dir = state_dir if state_dir is not None else declared.state_dir
    if registry is None:
        from driftline.registry import Registry

        registry = Registry(registry_url) if registry_url is not None else Registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.monitors.close()

    app = FastAPI(
        lifespan=lifespan,
        title="driftline",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.router.route_class = SecuredRoute
    app.state.registry = registry
    app.state.ui_sessions = UiSessions()
    app.state.bearer_cache = BearerCache()
    app.state.metrics = ServerMetrics()
    app.state.monitors = MonitorHub(state_dir=state_dir, max_monitors=max_monitors)
    app.state.metrics.add_collector(app.state.monitors.collect)
    if declared is not None:
        declared.start(app.state.monitors, registry)
    install_error_handlers(app)

    from driftline.server.routes import access, health, metrics, triggers
    from driftline.server.routes import monitors as monitor_routes
    from driftline.server.routes import registry as registry_routes

    routers: list[APIRouter] = [
        health.router,
        metrics.router,
        registry_routes.router,
        access.router,
        monitor_routes.router,
        triggers.router,
        *extra_routers,
    ]
    if dashboard:
        from driftline.dashboard import routers as dashboard_routers

        routers.extend(dashboard_routers)
    routers.append(_openapi_router(app))
    for router in routers:
        # The routers' own route objects, prefix included, go into the app as they are:
        # each stays the SecuredRoute that declared its permission.
        app.router.routes.extend(router.routes)
    check_all_secured(app.routes)
    app.state.public_paths = {
        getattr(r, "path_format", "")
        for r in app.routes
        if route_permission(r) is Permission.PUBLIC
    }

    app.add_middleware(_middleware(app.state.metrics.middleware))
    app.add_middleware(_middleware(_security_headers))
    app.add_middleware(
        BodyLimit,
        default=max_body_bytes,
        larger=[("/api/v1/monitors/", "/batches", max_ingest_bytes)],
    )
    return app


def _middleware(wrap: Callable[[Any], Any]) -> Any:
    """A class ``add_middleware`` accepts, from a function wrapping an ASGI app."""

    class Wrapped:
        def __init__(self, app: Any) -> None:
            self._inner = wrap(app)

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self._inner(scope, receive, send)

    return Wrapped
