"""Monitors over REST: create from a configuration, ingest batches (Arrow IPC stream or JSON
rows), close windows, read history and per-window reports.

Ingestion bodies have their own, larger size limit (``max_ingest_bytes``); an Arrow body is
read from memory with pyarrow's IPC reader, never from a file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from driftline.actions.payload import json_safe
from driftline.exceptions import DataError, NotFound, PermissionDenied, SchemaError
from driftline.server.auth import Permission, Principal, SecuredRoute, current_principal, requires
from driftline.server.hub import MonitorConfig, MonitorHub, ServedMonitor

__all__ = ["ARROW_STREAM", "check_model_scope", "may_act_on", "router", "served_monitor"]

router = APIRouter(prefix="/api/v1", route_class=SecuredRoute, tags=["monitors"])

Who = Annotated[Principal, Depends(current_principal)]
MonitorName = Annotated[str, Path(min_length=1, max_length=64)]
ARROW_STREAM = "application/vnd.apache.arrow.stream"
_MAX_JSON_ROWS = 100_000


class RowsIn(BaseModel):
    """A batch as JSON rows (column name to value)."""

    model_config = ConfigDict(extra="forbid")

    rows: Annotated[list[dict[str, Any]], Field(max_length=_MAX_JSON_ROWS)]


def hub(request: Request) -> MonitorHub:
    """The app's monitors."""
    found: MonitorHub = request.app.state.monitors
    return found


def may_act_on(who: Principal, model: str) -> bool:
    """Whether ``who`` may act on monitors of ``model``.

    People act on every monitor their role allows. A retraining trigger is bound to one
    model (the registry lets it register candidates of that model only), so it acts only
    on that model's monitors; any other kind of identity, or a trigger whose model is
    unknown, acts on none (deny by default).
    """
    if who.kind == "human":
        return True
    return who.kind == "trigger" and who.trigger_model is not None and who.trigger_model == model


def check_model_scope(who: Principal, model: str) -> None:
    """Raise :class:`PermissionDenied` (403) unless ``who`` may act on ``model``'s monitors."""
    if not may_act_on(who, model):
        raise PermissionDenied(
            f"{who.name!r} is a {who.kind} bound to model {who.trigger_model!r}: it may not "
            f"act on monitors of model {model[:256]!r}"
        )


def served_monitor(request: Request, name: str, who: Principal) -> ServedMonitor:
    """The monitor ``name``, if ``who`` may act on its model (403 otherwise)."""
    served = hub(request).get(name)
    check_model_scope(who, served.config.model)
    return served


def _arrow_table(body: bytes) -> pa.Table:
    """The body's Arrow IPC stream as a table, fully validated.

    ``read_all`` trusts the offsets and lengths a body declares: a string column whose
    offsets point past its data would be read out of bounds by whatever touches it next
    (the native profiler at window close, or pyarrow's own concatenation). Full
    validation (offsets, UTF-8, dictionary keys) refuses such a body here, before the
    monitor sees a row. Every Arrow error, including a compressed buffer declaring more
    bytes than can be allocated, is the body's fault: a 422, never a 500.
    """
    try:
        table = pa.ipc.open_stream(pa.BufferReader(body)).read_all()
        table.validate(full=True)
    except (pa.ArrowException, OSError, MemoryError, ValueError) as exc:
        # ValueError covers UnicodeDecodeError (a field name that is not UTF-8).
        detail = str(exc)[:500]
        raise DataError(f"the body is not a valid Arrow IPC stream: {detail}") from None
    repeated = sorted(n for n, count in Counter(table.column_names).items() if count > 1)
    if repeated:
        shown = ", ".join(repr(n[:256]) for n in repeated[:20])
        raise SchemaError(f"column names must be unique; repeated: {shown}")
    return table


def _json_table(body: bytes) -> pa.Table:
    try:
        rows = RowsIn.model_validate_json(body).rows
    except ValueError as exc:
        raise DataError(f"the body is not {{'rows': [...]}}: {str(exc)[:300]}") from None
    try:
        return pa.Table.from_pylist(rows)
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        # JSON integers are unbounded, Arrow's are 64-bit: pyarrow raises OverflowError (or
        # ArrowInvalid after a float) naming neither the row nor the column, so find them.
        where = _too_big(rows)
        if where is not None:
            raise DataError(f"{where}: an integer outside the 64-bit range") from None
        raise DataError(f"rows with inconsistent types: {exc}") from None


_INT64 = range(-(2**63), 2**63)


def _holds_too_big(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value not in _INT64
    if isinstance(value, dict):
        return any(_holds_too_big(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_too_big(v) for v in value)
    return False


def _too_big(rows: list[dict[str, Any]]) -> str | None:
    """Where the first integer Arrow cannot hold is (``rows[i], column 'x'``), if any."""
    for i, row in enumerate(rows):
        for column, value in row.items():
            if _holds_too_big(value):
                return f"rows[{i}], column {column[:256]!r}"
    return None


def _observe(served: ServedMonitor, table: pa.Table) -> dict[str, Any]:
    before = len(served.monitor.history)
    served.monitor.observe(table)
    with served.lock:
        served.batches += 1
    closed = list(served.monitor.history)[before:]
    return {"rows": table.num_rows, "windows_closed": [w.window for w in closed]}


def _parse_and_observe(
    served: ServedMonitor, parse: Callable[[bytes], pa.Table], body: bytes
) -> dict[str, Any]:
    return _observe(served, parse(body))


@router.get("/monitors")
@requires(Permission.READ)
def list_monitors(request: Request, who: Who) -> list[dict[str, Any]]:
    """Every monitor this server runs (a trigger sees its model's), with its counters."""
    return [m.summary() for m in hub(request) if may_act_on(who, m.config.model)]


@router.post("/monitors", status_code=201)
@requires(Permission.CONTRIBUTE)
def create_monitor(request: Request, body: MonitorConfig, who: Who) -> dict[str, Any]:
    """Create a monitor on a registered version's reference profile."""
    check_model_scope(who, body.model)
    return hub(request).create(body, who.session).summary()


@router.get("/monitors/{name}")
@requires(Permission.READ)
def get_monitor(request: Request, name: MonitorName, who: Who) -> dict[str, Any]:
    """A monitor's configuration and counters."""
    return served_monitor(request, name, who).summary()


@router.delete("/monitors/{name}", status_code=204)
@requires(Permission.ADMIN)
def delete_monitor(request: Request, name: MonitorName, who: Who) -> None:
    """Stop a monitor (its outbox file, if any, stays)."""
    served_monitor(request, name, who)
    hub(request).remove(name)


@router.post(
    "/monitors/{name}/batches",
    openapi_extra={
        "requestBody": {
            "content": {
                ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": RowsIn.model_json_schema()},
            },
            "required": True,
        }
    },
)
@requires(Permission.CONTRIBUTE)
async def ingest(request: Request, name: MonitorName, who: Who) -> dict[str, Any]:
    """Add a batch: ``application/vnd.apache.arrow.stream`` or JSON ``{"rows": [...]}``."""
    served = served_monitor(request, name, who)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in (ARROW_STREAM, "application/json"):
        raise DataError(f"send {ARROW_STREAM} or application/json, not {media[:100]!r}")
    body = await request.body()
    parse = _arrow_table if media == ARROW_STREAM else _json_table
    # One worker-thread hop for parsing and observing: at 10k-row Arrow bodies the hop
    # itself is a visible share of the request.
    return await run_in_threadpool(_parse_and_observe, served, parse, body)


@router.post("/monitors/{name}/close")
@requires(Permission.CONTRIBUTE)
def close_window(request: Request, name: MonitorName, who: Who) -> Response:
    """Close the open window now; 204 when it holds no rows."""
    result = served_monitor(request, name, who).monitor.close_window()
    if result is None:
        return Response(status_code=204)
    # A Response is written as is (no pydantic serialisation, which would turn inf into
    # null as the other routes get): starlette's JSONResponse refuses non-finite floats,
    # and the window is already closed by now, so they become null here.
    return JSONResponse(json_safe(result.to_dict()))


@router.get("/monitors/{name}/history")
@requires(Permission.READ)
def history(request: Request, name: MonitorName, who: Who) -> list[dict[str, Any]]:
    """The closed windows, oldest first (summaries with their verdicts)."""
    return [w.to_dict() for w in served_monitor(request, name, who).monitor.history]


@router.get("/monitors/{name}/windows/{window}")
@requires(Permission.READ)
def window_report(
    request: Request,
    name: MonitorName,
    window: Annotated[str, Path(min_length=1, max_length=256)],
    who: Who,
) -> dict[str, Any]:
    """One closed window's full report (drift with histograms, quality, performance)."""
    for w in served_monitor(request, name, who).monitor.history:
        if w.window == window:
            out: dict[str, Any] = w.to_dict()
            out["profile"] = w.profile.to_dict() if w.profile is not None else None
            return out
    raise NotFound(f"monitor {name!r} has no window {window!r} in its history")
