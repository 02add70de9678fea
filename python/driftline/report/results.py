"""A self-contained HTML page of model results: fairness, and per-segment drift and
performance (what the demo's credit and retail steps produce).

Same conventions as :mod:`driftline.report.html`: plotly embedded inline, works offline,
every value escaped (for the page with :func:`html.escape`, for plotly's labels with
:func:`~driftline.report.plotly_text.plotly_text`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from driftline.report.html import _CSS
from driftline.report.plotly_text import plotly_text, plotly_texts
from driftline.report.segments import worst_segments_html

if TYPE_CHECKING:
    from driftline.drift.report import DriftReport
    from driftline.fairness import FairnessReport
    from driftline.performance import PerformanceReport

__all__ = ["render_results_html"]


def _e(v: Any) -> str:
    return html.escape(str(v))


def _num(v: Any, spec: str = ".3f") -> str:
    if not isinstance(v, int | float) or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec)


def _fairness_section(name: str, f: FairnessReport) -> str:
    import plotly.graph_objects as go

    key = f.by_group.columns[0]
    groups = plotly_texts(str(g) for g in f.by_group[key].to_list())
    rates = [float(r) if r is not None else 0.0 for r in f.by_group["selection_rate"]]
    breach = f.passes_four_fifths is False
    rows = "".join(
        f"<tr><td>{_e(r[key])}</td><td>{r['count']:,}</td><td>{_num(r['selection_rate'])}</td>"
        f"<td>{_num(r.get('base_rate'))}</td><td>{_num(r.get('tpr'))}</td>"
        f"<td>{_num(r.get('fpr'))}</td></tr>"
        for r in f.by_group.iter_rows(named=True)
    )
    fig = go.Figure(go.Bar(x=groups, y=rates, name="selection rate"))
    if rates:
        fig.add_hline(y=0.8 * max(rates), line_dash="dash", annotation_text="4/5 of the highest")
    title = plotly_text(f"Approval rate by {name}")
    fig.update_layout(title=title, height=320, margin={"t": 50, "b": 40})
    verdict = "BREACHED" if breach else "met"
    return (
        f'<div class="feature" id="fairness-{_e(name)}"><h3>By {_e(name)}</h3>'
        f'<div class="verdict {"drift" if breach else "ok"}">four-fifths rule {verdict}: '
        f"disparate impact {_num(f.disparate_impact)}</div>"
        f'<p class="meta">demographic parity difference '
        f"{_num(f.demographic_parity_difference)}; equalized odds difference "
        f"{_num(f.equalized_odds_difference)}</p>"
        "<table><tr><th>group</th><th>rows</th><th>selection rate</th><th>base rate</th>"
        f"<th>TPR</th><th>FPR</th></tr>{rows}</table>"
        + str(fig.to_html(full_html=False, include_plotlyjs=False))
        + "</div>"
    )


def _drift_chart(drift: DriftReport, n: int = 20) -> str:
    import plotly.graph_objects as go

    worst = drift.worst_segments(n, by="worst_effect_size")
    fig = go.Figure(
        go.Bar(
            x=plotly_texts(worst["segment"].to_list()),
            y=[v or 0.0 for v in worst["worst_effect_size"].to_list()],
            text=plotly_texts(worst["worst_feature"].to_list()),
        )
    )
    fig.update_layout(
        title=plotly_text(f"Largest effect size per {drift.segment_by} (the {worst.height} worst)"),
        height=340,
        margin={"t": 50, "b": 90},
    )
    chart = str(fig.to_html(full_html=False, include_plotlyjs=False))
    return '<div id="segment-chart">' + chart + "</div>"


def _performance_section(perf: PerformanceReport, metric: str, n: int) -> str:
    worst = perf.worst(metric, n)
    cols = [c for c in worst.columns if c in (worst.columns[0], "count", "mae", "rmse", "r2")]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{_e(_num(r[c], '.4g') if c != cols[0] else r[c])}</td>" for c in cols)
        + "</tr>"
        for r in worst.iter_rows(named=True)
    )
    return (
        f"<h2>Performance: the {worst.height} worst by {_e(metric)}</h2>"
        f'<table id="performance">{head and "<tr>" + head + "</tr>"}{rows}</table>'
    )


def render_results_html(
    *,
    title: str = "Model results",
    fairness: Mapping[str, FairnessReport] | None = None,
    drift: DriftReport | None = None,
    performance: PerformanceReport | None = None,
    performance_metric: str = "mae",
    n: int = 25,
) -> str:
    """One self-contained HTML document: fairness per sensitive attribute (name -> report),
    the worst segments of a segmented drift report and of a segmented performance report."""
    from plotly.offline import get_plotlyjs

    parts: list[str] = []
    if fairness:
        parts.append("<h2>Fairness</h2>")
        parts += [_fairness_section(k, f) for k, f in fairness.items()]
    if drift is not None and drift.segment_results is not None:
        parts.append(worst_segments_html(drift, n))
        parts.append(_drift_chart(drift))
    if performance is not None and performance.segments is not None:
        parts.append(_performance_section(performance, performance_metric, n))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style><script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>{_e(title)}</h1>{"".join(parts)}</body></html>
"""
