"""The monitors' pages: the list, and one monitor's drift per feature over time, reference
vs current histograms of a chosen window, performance and fairness over time with their
policy bounds drawn, and the windows that fired triggers marked.

Who sees which monitor is the API's rule (:func:`~driftline.server.routes.monitors.may_act_on`,
:func:`~driftline.server.routes.monitors.served_monitor`): people see every monitor, a
retraining trigger only those of the model it is bound to.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from driftline.dashboard import charts
from driftline.dashboard.html import Markup, chart, esc, link, path_part, table
from driftline.dashboard.pages import error_page, render
from driftline.exceptions import DriftlineError, PermissionDenied
from driftline.server.auth import (
    Permission,
    Principal,
    SecuredRoute,
    current_principal,
    requires,
)
from driftline.server.routes.monitors import may_act_on, served_monitor

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=SecuredRoute, include_in_schema=False)

Who = Annotated[Principal, Depends(current_principal)]
_MAX_FEATURE_CHARTS = 12


@router.get("/monitors")
@requires(Permission.READ, via="cookie")
def monitors_page(request: Request, who: Who) -> HTMLResponse:
    """Every monitor the caller may act on, with its counters."""
    served = [s for s in request.app.state.monitors if may_act_on(who, s.config.model)]
    rows = [
        (
            link(f"/ui/monitors/{path_part(s.config.name)}", s.config.name),
            s.config.model,
            s.config.version,
            int(s.monitor.rows_observed),
            len(s.monitor.history),
            int(s.monitor.triggers_fired),
        )
        for s in served
    ]
    body = table(
        ["monitor", "model", "version", "rows", "windows", "triggers"], rows, table_id="monitors"
    )
    if not served:
        body = Markup(
            '<p id="monitors">No monitors yet: create one with POST /api/v1/monitors.</p>'
        )
    return render(who, "Monitors", body)


def _bounds(policies: list[Any], kind: str) -> dict[str, dict[str, float]]:
    """Per metric, the policy bounds to draw (``{metric: {label: value}}``)."""
    out: dict[str, dict[str, float]] = {}
    for p in policies:
        if p.kind == kind:
            side = "max" if p.higher_is_worse else "min"
            out.setdefault(p.metric, {})[f"{p.name} ({side})"] = p.threshold
    return out


def _metric(report: Any, name: str) -> float:
    if report is None:
        return float("nan")
    try:
        value = getattr(report, name)
    except AttributeError:
        return float("nan")
    return float(value) if isinstance(value, int | float) else float("nan")


@router.get("/monitors/{name}")
@requires(Permission.READ, via="cookie")
def monitor_page(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=64)],
    who: Who,
    window: Annotated[str | None, Query(max_length=256)] = None,
) -> HTMLResponse:
    """One monitor over time, and one window in detail."""
    try:
        served = served_monitor(request, name, who)
    except PermissionDenied as exc:
        return error_page(who, exc, status=403)
    except DriftlineError as exc:
        return error_page(who, exc)
    mon = served.monitor
    history = list(mon.history)
    keys = [w.window for w in history]
    fired = [w.window for w in history if w.triggers]
    parts: list[str] = [
        f"<p>Model {esc(served.config.model)} version {esc(served.config.version)}; "
        f"{int(mon.rows_observed)} rows observed, {len(history)} windows, "
        f"{int(mon.triggers_fired)} triggers.</p>"
    ]
    if history:
        feats = [f for f in mon.features][:50]
        series: dict[str, list[float]] = {f: [] for f in feats}
        for w in history:
            stats = {} if w.drift is None else {f.column: f.statistic for f in w.drift.features}
            for f in feats:
                value = stats.get(f)
                series[f].append(float("nan") if value is None else float(value))
        fig = charts.line_figure(
            "Drift statistic per feature (log scale; trigger windows marked)",
            keys,
            {f: [v if v > 0 else float("nan") for v in ys] for f, ys in series.items()},
            x_title="window",
            marks=fired,
            log_y=True,
        )
        parts.append(chart(fig, chart_id="chart-drift", title="drift per feature"))
        for kind, attr in (("performance", "performance"), ("fairness", "fairness")):
            for metric, bounds in _bounds(mon.policies, kind).items():
                values = [_metric(getattr(w, attr), metric) for w in history]
                fig = charts.line_figure(
                    f"{kind}: {metric}",
                    keys,
                    {metric: values},
                    x_title="window",
                    bounds=bounds,
                    marks=fired,
                )
                parts.append(chart(fig, chart_id=f"chart-{kind}-{metric}", title=metric))
        parts.append(_window_detail(served.config.name, history, window))
    parts.append("<h2>Triggers</h2>")
    trig_rows = [
        (t.window, t.policy, t.kind, t.score, t.reason, "suppressed" if s else "fired")
        for w in history
        for s, group in ((False, w.triggers), (True, w.suppressed))
        for t in group
    ]
    parts.append(
        table(["window", "policy", "kind", "score", "reason", ""], trig_rows, table_id="triggers")
    )
    return render(who, f"Monitor {name}", Markup("".join(parts)), charts_on=bool(history))


def _window_detail(name: str, history: list[Any], chosen: str | None) -> str:
    by_key = {w.window: w for w in history}
    current = by_key.get(chosen or "", history[-1])
    base = f"/ui/monitors/{path_part(name)}?window="
    picks = " ".join(
        str(esc(w.window)) if w is current else link(base + path_part(w.window), w.window)
        for w in history[-40:]
    )
    out = [f'<h2>Window {esc(current.window)}</h2><p id="windows">Windows: {picks}</p>']
    if current.drift is None:
        return "".join(out)
    rows = [
        (f.column, f.method, f.statistic, f.p_value, "drifted" if f.drifted else "")
        for f in current.drift.features
    ]
    out.append(
        table(["feature", "method", "statistic", "p-value", ""], rows, table_id="window-drift")
    )
    figs = []
    for i, f in enumerate(current.drift.features[:_MAX_FEATURE_CHARTS]):
        h = f.histogram
        if not h or not h.get("labels"):
            continue
        fig = charts.comparison_figure(
            f"{f.column}: reference vs {current.window}",
            [str(x) for x in h["labels"]],
            list(h.get("reference", [])),
            list(h.get("current", [])),
        )
        figs.append(chart(fig, chart_id=f"chart-hist-{i}", title=f.column))
    out.append('<div class="charts" id="window-charts">' + "".join(figs) + "</div>")
    return "".join(out)
