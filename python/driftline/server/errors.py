"""Error bodies: one small JSON shape, no stack traces, no echo of the request.

``{"error": "<kind>", "detail": "<sentence>"}``. driftline's own errors carry messages
written for the caller (they name the model, version or rule); anything unexpected is
logged on the server with a request id and answered with that id alone.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from driftline.exceptions import (
    ConflictError,
    DataError,
    DecodeError,
    DriftlineError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    SchemaError,
)

__all__ = ["error_body", "install_error_handlers"]

log = logging.getLogger("driftline.server")

_STATUS: list[tuple[type[Exception], int, str]] = [
    (PermissionDenied, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (InvalidParameter, 422, "invalid_parameter"),
    (SchemaError, 422, "schema_error"),
    (DataError, 422, "data_error"),
    (DecodeError, 422, "decode_error"),
    # Argument checks raise ValueError by convention: an input problem, not a crash.
    (ValueError, 422, "invalid_parameter"),
]
_MAX_DETAIL = 2000


def error_body(kind: str, detail: str) -> dict[str, str]:
    """The JSON body of every error answer (the detail is bounded in length)."""
    return {"error": kind, "detail": detail[:_MAX_DETAIL]}


def _driftline_error(request: Request, exc: Exception) -> JSONResponse:
    for cls, status, kind in _STATUS:
        if isinstance(exc, cls):
            return JSONResponse(error_body(kind, str(exc)), status_code=status)
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    ref = secrets.token_hex(6)
    route = request.scope.get("driftline.route", "<unmatched>")
    # The route template, never the raw URL or headers: no token or user string is logged.
    log.error("unexpected error %s on %s %s", ref, request.method, route, exc_info=exc)
    return JSONResponse(error_body("internal_error", f"reference {ref}"), status_code=500)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors()[:20]:
        loc = ".".join(str(part) for part in err.get("loc", ()))
        problems.append(f"{loc}: {err.get('msg', 'invalid')}")
    return JSONResponse(error_body("invalid_request", "; ".join(problems)), status_code=422)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kinds = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    return JSONResponse(
        error_body(kinds.get(exc.status_code, "http_error"), detail),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    handlers: dict[Any, Any] = {
        DriftlineError: _driftline_error,
        ValueError: _driftline_error,
        RequestValidationError: _validation_error,
        StarletteHTTPException: _http_error,
        Exception: _unexpected,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
