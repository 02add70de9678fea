"""Routing on the raw path, so that path parameters may hold ``/``.

Model names and segment keys may hold ``/`` (``team/churn``, a region ``US/CA``). Clients
and the dashboard's links send them percent-encoded (``team%2Fchurn``), but the ASGI server
decodes the path before routing, so ``/api/v1/models/team%2Fchurn`` would be routed as
``/api/v1/models/team/churn`` and miss every route. A ``:path`` converter alone cannot fix
a name in the middle of a path: a model named ``a/versions/1`` would make its own address
that of version 1 of ``a``.

:class:`RawPathRoute` matches the route's pattern against the raw path instead (ASGI's
``raw_path``: still percent-encoded, so an encoded ``/`` cannot end a path part), then
decodes each matched parameter. Every route of the server
(:class:`~driftline.server.auth.SecuredRoute`) routes this way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

__all__ = ["RawPathRoute"]


def _raw_route_path(scope: Scope) -> str | None:
    """The request's path as sent (percent-encoded), or None when it cannot be trusted to
    be the same path the server decoded (no ``raw_path``, a mount prefix, a mismatch)."""
    raw = scope.get("raw_path")
    if scope.get("type") != "http" or not isinstance(raw, bytes) or scope.get("root_path"):
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    # The decoded raw path must be the path the server routed on; otherwise fall back to
    # ordinary routing rather than route on something else.
    return text if unquote(text) == scope.get("path") else None


class RawPathRoute(APIRoute):
    """An API route whose path parameters may hold ``/`` (sent as ``%2F``): see the module
    docstring."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match on the raw path; path parameters come back decoded."""
        raw = _raw_route_path(scope)
        if raw is None:
            return super().matches(scope)
        match, child = super().matches({**scope, "path": raw})
        if match is not Match.NONE:
            params: dict[str, Any] = dict(child.get("path_params", {}))
            for name in self.param_convertors:
                value = params.get(name)
                if isinstance(value, str):
                    params[name] = unquote(value)
            child["path_params"] = params
        return match, child
