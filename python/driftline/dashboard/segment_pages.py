"""The Segments pages: the worst segments of a stored segmented evaluation, ranked by a
chosen metric, and one segment in detail (its metrics, its feature drift and the reference
vs current histograms kept for it).

A segmented evaluation is what :func:`driftline.report.segments.segment_summary` makes from
``compare(..., segment_by=)`` and ``performance(..., segment_by=)``, stored as a model
version's ``metrics["segments"]``; it is read through the registry session like every other
page (no file is read, and the chosen metric must be one the evaluation has).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse

from driftline.dashboard import charts
from driftline.dashboard.html import Markup, chart, esc, link, path_part, table
from driftline.dashboard.pages import error_page, render
from driftline.exceptions import DriftlineError, NotFound
from driftline.report.segment_format import is_summary
from driftline.report.segments import SegmentSummary
from driftline.server.auth import (
    Permission,
    Principal,
    SecuredRoute,
    current_principal,
    requires,
)
from driftline.server.routes.registry import version_key

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=SecuredRoute, include_in_schema=False)

Who = Annotated[Principal, Depends(current_principal)]
Name = Annotated[str, Path(min_length=1, max_length=256)]
Version = Annotated[str, Path(min_length=1, max_length=256)]
_KEY = "segments"
_CHART_BARS = 25
_MAX_HISTOGRAMS = 12
_SHOWN = (
    "status",
    "drifted_count",
    "share_drifted",
    "worst_feature",
    "worst_effect_size",
    "worst_p_value",
)


def _summary(who: Principal, model: str, version: str) -> tuple[Any, SegmentSummary]:
    v = who.session.get_version(model, version_key(version))
    data = v.metrics.get(_KEY)
    if not is_summary(data):
        raise NotFound(f"{model} v{v.version} has no segmented evaluation")
    try:
        return v, SegmentSummary(data)
    except ValueError as exc:
        # Stored by a contributor: a malformed one is this version's problem, never a 500.
        raise NotFound(
            f"{model} v{v.version}: its segmented evaluation is malformed ({exc})"
        ) from None


def _base(model: str, version: int) -> str:
    return f"/ui/models/{path_part(model)}/versions/{version}/segments"


def _malformed(exc: ValueError) -> str:
    return f'<span class="bad malformed">malformed: {esc(str(exc)[:200])}</span>'


def _fmt(value: Any) -> Any:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.4g}"
    return value


@router.get("/segments")
@requires(Permission.READ, via="cookie")
def segments_index(who: Who) -> HTMLResponse:
    """Every model version with a stored segmented evaluation (a malformed one is listed as
    such: one contributor's bad summary must not hide everybody else's)."""
    rows: list[tuple[Any, ...]] = []
    for v in who.session.list_versions(limit=100_000):
        data = v.metrics.get(_KEY)
        if not is_summary(data):
            continue
        try:
            s = SegmentSummary(data)
        except ValueError as exc:
            rows.append((f"{v.model} v{v.version}", v.stage, "", "", Markup(_malformed(exc))))
            continue
        rows.append(
            (
                link(_base(v.model, v.version), f"{v.model} v{v.version}"),
                v.stage,
                s.segment_by,
                len(s),
                ", ".join(s.metrics[:8]),
            )
        )
    body = table(
        ["model version", "stage", "segmented by", "segments", "metrics"],
        rows,
        table_id="segmented",
    )
    if not rows:
        body = Markup(
            '<p id="segmented">No segmented evaluation yet: store '
            "<code>segment_summary(drift, performance)</code> as a version's "
            '<code>metrics["segments"]</code>.</p>'
        )
    return render(who, "Segments", body)


@router.get("/models/{model}/versions/{version}/segments")
@requires(Permission.READ, via="cookie")
def worst_segments_page(
    model: Name,
    version: Version,
    who: Who,
    metric: Annotated[str | None, Query(max_length=64)] = None,
    n: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HTMLResponse:
    """The worst segments of a version's evaluation, ranked by ``metric``."""
    try:
        v, s = _summary(who, model, version)
    except DriftlineError as exc:
        return error_page(who, exc)
    metrics = s.metrics
    if not metrics:
        return error_page(who, NotFound("the segmented evaluation has no metric to rank by"))
    chosen = metric if metric in metrics else metrics[0]
    if metric is not None and metric not in metrics:
        notice = f'<p class="error" id="notice">Unknown metric; ranked by {esc(chosen)}.</p>'
    else:
        notice = ""
    worst = s.worst(chosen, n)
    base = _base(model, v.version)
    options = "".join(
        f'<option value="{esc(m)}"{" selected" if m == chosen else ""}>{esc(m)}</option>'
        for m in metrics
    )
    form = (
        f'<form method="get" action="{esc(base)}" id="rank-form">'
        f'<label>Rank by <select name="metric" id="metric">{options}</select></label> '
        f'<label>Show <input name="n" id="n" type="number" min="1" max="500" value="{n}">'
        '</label> <button type="submit" id="rank">Rank</button></form>'
    )
    cols = [c for c in (chosen, *_SHOWN, "mae") if c != "segment"]
    cols = list(dict.fromkeys(c for c in cols if any(c in r for r in worst)))
    rows = [
        (link(f"{base}/{path_part(r['segment'])}", r["segment"]), *(_fmt(r.get(c)) for c in cols))
        for r in worst
    ]
    top = [r for r in worst if isinstance(r.get(chosen), int | float)][:_CHART_BARS]
    fig = charts.bar_figure(
        f"{chosen}: the {len(top)} worst {s.segment_by} values",
        [str(r["segment"]) for r in top],
        [float(r[chosen]) for r in top],
        y_title=chosen,
    )
    body = Markup(
        f"<p>{esc(model)} v{v.version}: {len(s):,} segments by {esc(s.segment_by)}; "
        f"{link(f'/ui/models/{path_part(model)}/versions/{v.version}', 'version page')}.</p>"
        + notice
        + form
        + chart(fig, chart_id="chart-worst-segments", title=f"worst by {chosen}")
        + table([s.segment_by, *cols], rows, table_id="worst-segments")
    )
    return render(who, f"Segments of {model} v{v.version}", body, charts_on=True)


@router.get("/models/{model}/versions/{version}/segments/{segment:path}")
@requires(Permission.READ, via="cookie")
def segment_page(
    model: Name,
    version: Version,
    segment: Annotated[str, Path(min_length=1, max_length=256)],
    who: Who,
) -> HTMLResponse:
    """One segment: its metrics, feature drift and histograms (when kept)."""
    try:
        v, s = _summary(who, model, version)
    except DriftlineError as exc:
        return error_page(who, exc)
    row = s.row(segment)
    if row is None:
        return error_page(who, NotFound(f"no segment {segment!r} in {model} v{v.version}"))
    base = _base(model, v.version)
    parts = [
        f"<p>{esc(s.segment_by)} {esc(segment)} of {esc(model)} v{v.version}; "
        f"{link(base, 'all segments')}.</p>",
        "<h2>Metrics</h2>",
        table(
            ["metric", "value"],
            [(k, _fmt(val)) for k, val in row.items() if k != "segment"],
            table_id="segment-metrics",
        ),
    ]
    feats = s.features(segment)
    charts_on = False
    if feats:
        parts.append("<h2>Feature drift</h2>")
        parts.append(
            table(
                ["feature", "method", "statistic", "p (adjusted)", "effect", ""],
                [
                    (
                        f["column"],
                        f["method"],
                        _fmt(f["statistic"]),
                        _fmt(f["p_value_adjusted"]),
                        _fmt(f["effect_size"]),
                        "drifted" if f["drifted"] else "",
                    )
                    for f in feats
                ],
                table_id="segment-features",
            )
        )
        figs = []
        for i, f in enumerate(feats[:_MAX_HISTOGRAMS]):
            h = f.get("histogram")
            if not h or not h.get("labels"):
                continue
            fig = charts.comparison_figure(
                f"{f['column']}: reference vs current",
                [str(x) for x in h["labels"]],
                [float(x or 0.0) for x in h["reference"]],
                [float(x or 0.0) for x in h["current"]],
            )
            figs.append(chart(fig, chart_id=f"chart-segment-{i}", title=f["column"]))
        charts_on = bool(figs)
        parts.append('<div class="charts" id="segment-charts">' + "".join(figs) + "</div>")
    else:
        parts.append(
            '<p id="segment-features">Feature drift was kept only for the worst segments; '
            "this one has its metrics only.</p>"
        )
    return render(who, f"{s.segment_by} {segment}", Markup("".join(parts)), charts_on=charts_on)
