"""Request size limits, enforced while the body is read (chunked bodies included).

A request announcing a larger ``Content-Length`` is refused before its body is read; a
body that grows past the limit while streaming is cut off with 413.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field
from starlette.exceptions import HTTPException

__all__ = ["DEFAULT_LIMIT", "INGEST_LIMIT", "INT64_MAX", "BodyLimit", "Int64"]

DEFAULT_LIMIT = 1 << 20  # 1 MiB: every JSON route
INGEST_LIMIT = 64 << 20  # 64 MiB: batch ingestion (Arrow IPC or JSON rows)
#: Every integer a request carries fits a database BIGINT (SQLite and PostgreSQL refuse more).
INT64_MAX = 2**63 - 1
Int64 = Annotated[int, Field(ge=-INT64_MAX - 1, le=INT64_MAX)]

Scope = dict[str, Any]


class _TooLarge(HTTPException):
    # An HTTPException, so that the application's own handler answers 413 when the body
    # is read inside a route; the middleware answers itself if it surfaces here.
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is limited to {limit} bytes")


class BodyLimit:
    """ASGI middleware capping request bodies.

    Parameters
    ----------
    app
        The wrapped ASGI application.
    default
        The limit in bytes for every path not matched by ``larger``.
    larger
        ``(path prefix, path suffix, limit)`` triples for routes taking bulk bodies.
    """

    def __init__(
        self,
        app: Any,
        *,
        default: int = DEFAULT_LIMIT,
        larger: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        self.app = app
        self.default = default
        self.larger = list(larger)

    def limit_for(self, path: str) -> int:
        """The body limit of a path."""
        for prefix, suffix, limit in self.larger:
            if path.startswith(prefix) and path.endswith(suffix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Run the request, refusing bodies over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    announced = -1
                if announced < 0 or announced > limit:
                    await _refuse(send, limit)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps(
        {"error": "too_large", "detail": f"the request body is limited to {limit} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
