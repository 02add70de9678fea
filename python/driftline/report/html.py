"""The self-contained HTML drift report.

One file that works offline: plotly's JavaScript is embedded inline
(``plotly.offline.get_plotlyjs()``), no CDN, no font or image fetched. It shows the
verdict, a table of every column (statistic, adjusted p-value, effect size against its
minimum, null rates, reason), a chart of the effect sizes against their thresholds and,
per compared column (drifted ones first), a reference-vs-current histogram overlay on the
reference's bins or categories.

Column names and category values reach the charts through
:func:`~driftline.report.plotly_text.plotly_text`: plotly reads its labels as markup.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from driftline.report.plotly_text import plotly_text, plotly_texts

if TYPE_CHECKING:
    from driftline.drift.report import DriftReport, FeatureDrift

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:1.5em;margin-bottom:4px} .verdict{font-size:1.2em;font-weight:600;padding:8px 12px;
border-radius:6px;display:inline-block} .drift{background:#fde2e1;color:#a40000}
.ok{background:#e2f5e4;color:#14632b} table{border-collapse:collapse;margin:16px 0;
font-size:.9em} th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f4f4f4} tr.drifted td{background:#fff3f3} .meta{color:#666}
.feature{border:1px solid #eee;border-radius:6px;margin:12px 0;padding:8px}
"""


def _e(v: Any) -> str:
    return html.escape(str(v))


def _num(v: float | None, spec: str = ".4g") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec)


def _row(f: FeatureDrift) -> str:
    cls = ' class="drifted"' if f.drifted else ""
    cells = [
        _e(f.column),
        _e(f.kind),
        _e(f.method),
        _num(f.statistic),
        _num(f.p_value_adjusted),
        _num(f.effect_size),
        _num(f.min_effect),
        _num(f.threshold),
        f"{f.null_rate_reference:.2%} &rarr; {f.null_rate_current:.2%}",
        "<b>yes</b>" if f.drifted else "no",
        _e(f.reason),
    ]
    return f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _feature_figure(f: FeatureDrift) -> str:
    import plotly.graph_objects as go

    h = f.histogram or {}
    labels = plotly_texts(str(x) for x in h.get("labels", []))
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=h.get("reference", []), name="reference", marker_color="#4c78a8", opacity=0.75
    )
    fig.add_bar(
        x=labels, y=h.get("current", []), name="current", marker_color="#e45756", opacity=0.75
    )
    title = f"{f.column}: {'DRIFT' if f.drifted else 'no drift'}"
    if f.effect_size is not None:
        title += f" ({f.effect_name} {f.effect_size:.3g}, min {f.min_effect})"
    fig.update_layout(
        barmode="overlay",
        title=plotly_text(title),
        height=320,
        yaxis_title="share of rows",
        margin={"l": 50, "r": 20, "t": 50, "b": 80},
    )
    div = fig.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})
    return (
        f'<div class="feature" data-feature="{_e(f.column)}" '
        f'data-drifted="{str(f.drifted).lower()}">{div}</div>'
    )


def _scores_figure(report: DriftReport) -> str:
    import plotly.graph_objects as go

    feats = [f for f in report.features if f.effect_size is not None]
    if not feats:
        return ""
    fig = go.Figure()
    columns = plotly_texts(f.column for f in feats)
    fig.add_bar(
        x=columns,
        y=[f.effect_size for f in feats],
        name="effect size",
        marker_color=["#e45756" if f.drifted else "#4c78a8" for f in feats],
    )
    fig.add_scatter(
        x=columns,
        y=[f.threshold if f.method.startswith("calibrated") else f.min_effect for f in feats],
        mode="markers",
        name="threshold",
        marker={"symbol": "line-ew-open", "size": 24, "color": "#222"},
    )
    fig.update_layout(
        title="Effect size per column against its threshold",
        height=360,
        margin={"l": 50, "r": 20, "t": 50, "b": 80},
    )
    chart = str(fig.to_html(full_html=False, include_plotlyjs=False))
    return '<div id="scores">' + chart + "</div>"


def render_html(report: DriftReport) -> str:
    """The report as one self-contained HTML document."""
    from plotly.offline import get_plotlyjs

    verdict = "DRIFT" if report.drifted else "NO DRIFT"
    cls = "drift" if report.drifted else "ok"
    head = (
        "<tr>"
        + "".join(
            f"<th>{h}</th>"
            for h in (
                "column",
                "kind",
                "method",
                "statistic",
                "p (adjusted)",
                "effect",
                "min effect",
                "threshold",
                "missing ref &rarr; cur",
                "drift",
                "reason",
            )
        )
        + "</tr>"
    )
    rows = "".join(_row(f) for f in report.features)
    schema = "".join(
        f"<li>{_e(c.column)}: {_e(c.change)} ({_e(c.reference_type)} &rarr; "
        f"{_e(c.current_type)})</li>"
        for c in report.schema_changes
    )
    ordered = sorted(
        (f for f in report.features if f.histogram), key=lambda f: (not f.drifted, f.column)
    )
    charts = "".join(_feature_figure(f) for f in ordered)
    multi = ""
    if report.segment_results is not None:
        from driftline.report.segments import worst_segments_html

        multi += worst_segments_html(report)
    if report.multivariate is not None:
        m = report.multivariate
        multi += (
            f"<h2>Domain classifier</h2><p>ROC AUC {m.auc:.3f} against threshold "
            f"{m.threshold:.3f}: {'drift' if m.drifted else 'no drift'}</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>driftline drift report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style><script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>Drift report</h1>
<div id="verdict" class="verdict {cls}">{verdict}: {report.share_drifted:.0%} of columns
drifted ({len(report.drifted_columns)} of {len(report.features)})</div>
<p class="meta">mode {_e(report.mode)}; reference {report.reference_rows:,} rows, current
{report.current_rows:,} rows; {_e(report.correction)} correction at alpha {report.alpha};
a column drifts when its test is significant and its effect reaches the minimum.</p>
{f"<h2>Schema changes</h2><ul>{schema}</ul>" if schema else ""}
<table id="features">{head}{rows}</table>
{_scores_figure(report)}{multi}
<h2>Distributions</h2>{charts}
</body></html>
"""
