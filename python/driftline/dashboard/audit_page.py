"""The audit log page: newest events first, filtered before the page is cut, and a link to
the older ones.

The registry reads the trail forward only (:meth:`~driftline.registry.audit.Audit.events`:
after a sequence number, oldest first). The page walks it backwards from the head in
windows of sequence numbers, keeps the events the filters accept (the API's rule,
:func:`~driftline.server.routes.access.filter_events`) until the page is full, and links
the next page with a ``before`` cursor. Each request reads at most :data:`SCAN_BUDGET`
events: a filter that matches little gives a short page with a link that carries on from
where the walk stopped, never an unbounded request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from driftline.dashboard import charts
from driftline.dashboard.html import Markup, chart, esc, link, table
from driftline.dashboard.pages import render
from driftline.exceptions import DriftlineError
from driftline.server.auth import (
    Permission,
    Principal,
    SecuredRoute,
    current_principal,
    requires,
)
from driftline.server.limits import INT64_MAX
from driftline.server.routes.access import filter_events

__all__ = ["SCAN_BUDGET", "AuditPage", "newest_first", "router"]

router = APIRouter(prefix="/ui", route_class=SecuredRoute, include_in_schema=False)

Who = Annotated[Principal, Depends(current_principal)]
#: Events read per page request at most (the filters may reject all of them).
SCAN_BUDGET = 100_000
_WINDOW = 2_000


@dataclass
class AuditPage:
    """One page of the trail: ``events`` newest first; ``older`` the ``before`` cursor of
    the next page (None when nothing older is left to read)."""

    events: list[Any]
    older: int | None


def newest_first(
    read: Callable[..., list[Any]],
    *,
    head: int,
    since: int,
    before: int | None,
    limit: int,
    keep: Callable[[list[Any]], list[Any]],
    budget: int = SCAN_BUDGET,
) -> AuditPage:
    """Up to ``limit`` events with ``since < seq < before`` that ``keep`` accepts, newest
    first, reading at most ``budget`` sequence numbers through ``read(since=, limit=)``.

    ``head`` is the newest sequence number. Sequence numbers are contiguous in a sound
    chain; after a deletion a window just holds fewer events (and events beyond the
    window, which the next read returns, are dropped here).
    """
    hi = head if before is None else min(head, before - 1)
    found: list[Any] = []
    while hi > since and budget > 0:
        lo = max(since, hi - min(_WINDOW, budget))
        window = [e for e in read(since=lo, limit=hi - lo) if e.seq <= hi]
        budget -= hi - lo
        for e in reversed(keep(window)):
            found.append(e)
            if len(found) == limit:
                return AuditPage(found, e.seq if e.seq - 1 > since else None)
        hi = lo
    return AuditPage(found, hi + 1 if hi > since else None)


def _href(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "/ui/audit" + ("?" + urlencode(kept) if kept else "")


@router.get("/audit")
@requires(Permission.AUDIT, via="cookie")
def audit_page(
    request: Request,
    who: Who,
    actor: Annotated[str | None, Query(max_length=256)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=512)] = None,
    since: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    before: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> HTMLResponse:
    """The audit log, newest first, filterable, with the chain's verification status."""
    audit = request.app.state.registry.audit
    check = audit.verify()
    filters = {"actor": actor or None, "action": action or None, "target": target or None}
    status = (
        f'<p id="verify-status" class="ok">Chain verified: {check.events} events, '
        f"head {esc(check.head_hash[:16])}…</p>"
        if check.ok
        else f'<p id="verify-status" class="bad">Chain verification FAILED: '
        f"{esc('; '.join(check.problems[:5]))}</p>"
    )
    form = (
        '<form method="get" action="/ui/audit" id="audit-filter">'
        + "".join(
            f'<label>{name} <input name="{name}" value="{esc(value or "")}"></label> '
            for name, value in filters.items()
        )
        + '<button type="submit" id="filter">Filter</button></form>'
    )
    try:
        found = newest_first(
            audit.events,
            head=check.head_seq,
            since=since,
            before=before,
            limit=limit,
            keep=lambda events: filter_events(events, **filters),
        )
    except DriftlineError as exc:  # an event edited into something unreadable
        body = f'<p class="error" id="events">{esc(type(exc).__name__)}: {esc(str(exc)[:500])}</p>'
        return render(who, "Audit log", Markup(status + form + body))
    shown = found.events
    query = {**filters, "since": since or None, "limit": limit if limit != 500 else None}
    nav = []
    if before is not None:
        nav.append(link(_href(**query), "Newest events", id="newest"))
    if found.older is not None:
        nav.append(link(_href(**query, before=found.older), "Next page: older events", id="older"))
    span = f", seq {shown[0].seq} to {shown[-1].seq}" if shown else ""
    summary = (
        f'<p id="audit-range">{len(shown)} events shown, newest first{span}. '
        + " · ".join(nav)
        + "</p>"
    )
    rows = [(e.seq, e.ts, e.actor, e.action, e.target, e.hash[:12]) for e in shown]
    counts: Counter[str] = Counter(e.action for e in shown)
    fig = charts.bar_figure(
        "Events by action", list(counts), list(map(float, counts.values())), y_title="events"
    )
    body = Markup(
        status
        + form
        + summary
        + chart(fig, chart_id="chart-actions", title="events by action")
        + table(["seq", "time", "actor", "action", "target", "hash"], rows, table_id="events")
    )
    return render(who, "Audit log", body, charts_on=True)
