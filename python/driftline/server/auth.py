"""Authentication and authorisation of every route: deny by default.

Every route declares the permission it needs with :func:`requires`; the route class
:class:`SecuredRoute` enforces it before any of the route's own code (or its body parsing)
runs. A route that declares nothing answers 403 whatever the caller, and
:func:`check_all_secured` refuses to build an application holding a route of another class.

=============  =========================================================================
permission     granted to
=============  =========================================================================
public         everybody, without a token (health probes, the login page, static assets)
read           viewer, contributor, approver, admin; retraining triggers (on the monitor
               routes, only the monitors of the model they are bound to)
contribute     contributor, admin; retraining triggers (narrowed further: the registry
               checks ownership and allows candidate versions only; the monitor routes
               let a trigger act only on monitors of the model it is bound to)
approve        approver, admin
audit          approver, admin (the audit trail names every actor and denial)
admin          admin
=============  =========================================================================

The API takes ``Authorization: Bearer dlt_...`` only; the dashboard takes only its own
session cookie (a random id mapped in memory to a registry session: the token is never put
in a cookie, a URL, a log line or a page). Tokens are checked by the registry on every
request, so revoking one, disabling a user or changing a role takes effect immediately.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import BaseRoute

from driftline.exceptions import DriftlineError, PermissionDenied
from driftline.server.raw_path import RawPathRoute

__all__ = [
    "COOKIE_NAME",
    "Permission",
    "Principal",
    "SecuredRoute",
    "UiSessions",
    "check_all_secured",
    "current_principal",
    "requires",
]

PERMISSION_ATTR = "__driftline_permission__"
VIA_ATTR = "__driftline_via__"
COOKIE_NAME = "driftline_session"
# A token's shape, checked before the registry sees it: a malformed header never reaches
# the database (and never fills the audit trail with denials).
# Routes that change who may do what: a successful call empties the bearer cache.
_CHANGES_ACCESS = re.compile(r"/(users|tokens|roles|owners|suspend)")
_TOKEN_SHAPE = re.compile(r"dlt_[A-Za-z0-9_\-]{16,128}")

F = TypeVar("F", bound=Callable[..., Any])


class Permission(StrEnum):
    """What a route needs from its caller (see the module's table)."""

    PUBLIC = "public"
    READ = "read"
    CONTRIBUTE = "contribute"
    APPROVE = "approve"
    AUDIT = "audit"
    ADMIN = "admin"


_GRANTS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.READ}),
    "contributor": frozenset({Permission.READ, Permission.CONTRIBUTE}),
    "approver": frozenset({Permission.READ, Permission.APPROVE, Permission.AUDIT}),
    "admin": frozenset(Permission) - {Permission.PUBLIC},
}
_TRIGGER_GRANTS = frozenset({Permission.READ, Permission.CONTRIBUTE})


def granted(role: str, kind: str) -> frozenset[Permission]:
    """The permissions of a role (an unknown role has none)."""
    if kind == "trigger":
        return _TRIGGER_GRANTS
    return _GRANTS.get(role, frozenset())


def requires(permission: Permission, *, via: str = "bearer") -> Callable[[F], F]:
    """Declare the permission a route needs.

    Parameters
    ----------
    permission
        The permission checked before the route runs.
    via
        ``"bearer"`` (API: the Authorization header) or ``"cookie"`` (dashboard session).

    Examples
    --------
    >>> @requires(Permission.READ)
    ... def handler() -> None: ...
    >>> getattr(handler, PERMISSION_ATTR)
    <Permission.READ: 'read'>
    """
    if via not in ("bearer", "cookie"):
        raise ValueError(f"via must be 'bearer' or 'cookie'; got {via!r}")

    def mark(fn: F) -> F:
        setattr(fn, PERMISSION_ATTR, Permission(permission))
        setattr(fn, VIA_ATTR, via)
        return fn

    return mark


@dataclass
class Principal:
    """The authenticated caller of one request.

    Attributes
    ----------
    name, role, kind
        The registry user behind the token.
    session
        A registry session acting as that user (it re-checks the token on each call).
    csrf
        The dashboard session's form token (empty for API callers).
    trigger_model
        The model a retraining trigger is bound to (None for people): the monitor routes
        let a trigger act on that model's monitors only.
    """

    name: str
    role: str
    kind: str
    session: Any
    csrf: str = ""
    trigger_model: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        """What this caller may do at the server's level."""
        return granted(self.role, self.kind)


def _principal_for(registry: Any, token: str) -> Principal | None:
    """Open a session for ``token`` and read its user; None when the registry refuses."""
    try:
        session = registry.session(token)
        user = session.whoami()
    except PermissionDenied:
        return None
    if user.disabled:
        return None
    return Principal(
        name=user.name,
        role=user.role,
        kind=user.kind,
        session=session,
        trigger_model=getattr(user, "trigger_model", None),
    )


class BearerCache:
    """Principals of recently checked bearer tokens, for ``ttl_seconds``.

    Checking a token costs two registry reads, more than the rest of an ingest request of
    10,000 rows; a service posting batches many times a second pays it once per
    ``ttl_seconds`` instead. Entries are keyed by the token's SHA-256 (the token itself is
    not kept), bounded in number, and dropped on any change to users or tokens made
    through this server; a token revoked elsewhere stops working here within
    ``ttl_seconds``. The principal's registry session still re-checks the token on every
    registry call, so the cache only ever spares the check of the route's permission.
    """

    def __init__(self, ttl_seconds: float = 2.0, max_entries: int = 4_096) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        """The token's principal if checked less than ``ttl_seconds`` ago, else None.

        Never reads the registry, so the event loop can ask it directly: only a miss pays
        the worker-thread hop of :meth:`principal`.
        """
        if self._ttl <= 0:
            return None
        key = hashlib.sha256(token.encode()).digest()
        with self._lock:
            hit = self._entries.get(key)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def principal(self, registry: Any, token: str) -> Principal | None:
        """The token's principal: cached when checked less than ``ttl_seconds`` ago."""
        if self._ttl <= 0:
            return _principal_for(registry, token)
        hit = self.cached(token)
        if hit is not None:
            return hit
        key = hashlib.sha256(token.encode()).digest()
        now = time.monotonic()
        principal = _principal_for(registry, token)
        if principal is not None:
            with self._lock:
                self._entries[key] = (principal, now + self._ttl)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return principal

    def clear(self) -> None:
        """Forget every cached principal (users, roles or tokens changed)."""
        with self._lock:
            self._entries.clear()


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not _TOKEN_SHAPE.fullmatch(value):
        return None
    return value


@dataclass
class _UiEntry:
    session: Any
    csrf: str
    expires: float
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class UiSessions:
    """Dashboard sessions: random cookie ids mapped in memory to registry sessions.

    Parameters
    ----------
    ttl_seconds
        Idle lifetime of a session.
    max_sessions
        The oldest sessions are dropped beyond this many.
    """

    def __init__(self, ttl_seconds: float = 8 * 3600, max_sessions: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_sessions
        self._entries: OrderedDict[str, _UiEntry] = OrderedDict()
        self._lock = threading.Lock()

    def login(self, registry: Any, token: str) -> tuple[str, Principal] | None:
        """Check ``token`` with the registry; return a new session id and its principal."""
        if not _TOKEN_SHAPE.fullmatch(token):
            return None
        principal = _principal_for(registry, token)
        if principal is None:
            return None
        sid = secrets.token_urlsafe(32)
        principal.csrf = secrets.token_urlsafe(32)
        with self._lock:
            self._entries[sid] = _UiEntry(
                principal.session, principal.csrf, time.monotonic() + self._ttl
            )
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return sid, principal

    def resolve(self, sid: str) -> Principal | None:
        """The principal of a live session id (its user re-read from the registry)."""
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None or entry.expires < time.monotonic():
                self._entries.pop(sid, None)
                return None
            entry.expires = time.monotonic() + self._ttl
            self._entries.move_to_end(sid)
        try:
            user = entry.session.whoami()
        except PermissionDenied:
            self.logout(sid)
            return None
        if user.disabled:
            self.logout(sid)
            return None
        return Principal(
            user.name,
            user.role,
            user.kind,
            entry.session,
            entry.csrf,
            getattr(user, "trigger_model", None),
        )

    def logout(self, sid: str) -> None:
        """Forget a session id."""
        with self._lock:
            self._entries.pop(sid, None)


def check_csrf(principal: Principal, submitted: str) -> bool:
    """Whether a dashboard form carries its session's CSRF token."""
    return bool(principal.csrf) and hmac.compare_digest(principal.csrf, submitted or "")


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller that :class:`SecuredRoute` authenticated.

    A coroutine although it never waits: FastAPI runs a plain function dependency on a
    worker thread, a hop that costs more than this lookup.
    """
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        # Only reachable from a public route asking for a principal: a programming error,
        # answered as a refusal rather than a crash.
        raise PermissionDenied("this route has no authenticated caller")
    return principal


def _forbidden(detail: str) -> JSONResponse:
    return JSONResponse({"error": "forbidden", "detail": detail}, status_code=403)


def _unauthenticated() -> JSONResponse:
    return JSONResponse(
        {"error": "unauthenticated", "detail": "a valid bearer token is required"},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


class SecuredRoute(RawPathRoute):
    """An API route that enforces its declared permission before anything else runs
    (routed on the raw path: :class:`~driftline.server.raw_path.RawPathRoute`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler with the permission check."""
        inner = super().get_route_handler()
        permission: Permission | None = getattr(self.endpoint, PERMISSION_ATTR, None)
        via: str = getattr(self.endpoint, VIA_ATTR, "bearer")
        path = self.path_format

        async def handler(request: Request) -> Response:
            request.scope["driftline.route"] = path
            if permission is None:
                return _forbidden("this route declares no permission")
            if permission is Permission.PUBLIC:
                return await inner(request)
            registry = request.app.state.registry
            principal: Principal | None
            if via == "cookie":
                sid = request.cookies.get(COOKIE_NAME, "")
                sessions: UiSessions = request.app.state.ui_sessions
                principal = await run_in_threadpool(sessions.resolve, sid) if sid else None
                if principal is None:
                    return RedirectResponse("/ui/login", status_code=303)
            else:
                token = _bearer_token(request)
                cache: BearerCache = request.app.state.bearer_cache
                principal = None
                if token:
                    principal = cache.cached(token) or await run_in_threadpool(
                        cache.principal, registry, token
                    )
                if principal is None:
                    return _unauthenticated()
            if permission not in principal.permissions:
                detail = f"{principal.role} may not use this route ({permission.value})"
                if via == "cookie":
                    return HTMLResponse(
                        "<!doctype html><title>Forbidden · driftline</title>"
                        f"<h1>Forbidden</h1><p>{html.escape(detail)}</p><p><a href='/ui/'>Back</a></p>",
                        status_code=403,
                    )
                return _forbidden(detail)
            request.state.principal = principal
            response = await inner(request)
            if via == "bearer" and request.method != "GET" and _CHANGES_ACCESS.search(path):
                request.app.state.bearer_cache.clear()
            return response

        return handler


def route_permission(route: BaseRoute) -> Permission | None:
    """The permission a route declares (None when it declares none)."""
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, PERMISSION_ATTR, None)


def check_all_secured(routes: list[BaseRoute]) -> None:
    """Refuse routes that bypass :class:`SecuredRoute` (plain routes, mounts).

    Raises
    ------
    DriftlineError
        Naming the first route that would not be checked.
    """
    for route in routes:
        if not isinstance(route, SecuredRoute):
            raise DriftlineError(f"route {getattr(route, 'path', route)!r} is not a SecuredRoute")
