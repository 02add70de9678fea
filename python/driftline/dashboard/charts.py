"""Charts (plotly figures as JSON) and the dashboard's static assets.

plotly.js comes from the installed ``plotly`` package and is served by the same process,
so the dashboard works offline. A fixed table maps asset names to contents: a requested
name is looked up, never joined to a path.

Every string a figure gets (titles, axis titles, categories, trace names, annotations,
window keys) goes through :func:`~driftline.report.plotly_text.plotly_text` here, once: it
is stored text (column names, category values, segment keys), and plotly would read it as
markup.
"""

from __future__ import annotations

import functools
import itertools
import math
from importlib import resources
from typing import Any

import plotly.graph_objects as go

from driftline.report.plotly_text import plotly_text, plotly_texts

__all__ = ["asset", "bar_figure", "comparison_figure", "histogram_figure", "line_figure"]

_CHARTS_JS = """\
"use strict";
// Draw every chart placeholder from its JSON data attribute (no inline scripts: the
// page's Content-Security-Policy allows scripts from this origin only).
document.querySelectorAll(".dl-chart").forEach(function (el) {
  var fig = JSON.parse(el.getAttribute("data-figure"));
  Plotly.newPlot(el, fig.data || [], fig.layout || {},
                 {responsive: true, displaylogo: false}).then(function () {
    el.setAttribute("data-rendered", "1");
  });
});
"""

_STYLE_CSS = """\
body { font-family: system-ui, sans-serif; margin: 0; color: #1b1f24; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem;
         background: #17324d; color: #fff; }
header a { color: #d7e7ff; } header ul { display: flex; gap: 1rem; list-style: none;
         margin: 0; padding: 0; } header .who { margin-left: auto; }
main { padding: 1rem 1.5rem; max-width: 1200px; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; }
th, td { border-bottom: 1px solid #d8dee4; padding: .3rem .7rem; text-align: left; }
th { background: #f3f5f7; } td { overflow-wrap: anywhere; } form.inline { display: inline; }
.ok { color: #116329; font-weight: bold; } .bad { color: #a40e26; font-weight: bold; }
.notice { background: #eef6ee; padding: .5rem 1rem; border-left: 4px solid #116329; }
.error { background: #fbeeee; padding: .5rem 1rem; border-left: 4px solid #a40e26; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { margin: 0; width: 560px; height: 340px; }
.dl-chart { width: 100%; height: 100%; }
"""


@functools.cache
def _plotly_js() -> bytes:
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()


_ASSETS: dict[str, tuple[str, Any]] = {
    "plotly.min.js": ("text/javascript", _plotly_js),
    "charts.js": ("text/javascript", lambda: _CHARTS_JS.encode()),
    "style.css": ("text/css", lambda: _STYLE_CSS.encode()),
}


def asset(name: str) -> tuple[bytes, str] | None:
    """The content and media type of a static asset, or None for an unknown name."""
    found = _ASSETS.get(name)
    if found is None:
        return None
    media_type, load = found
    return load(), media_type


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": plotly_text(title)},
        "margin": {"l": 50, "r": 20, "t": 50, "b": 50},
        "template": "plotly_white",
        **extra,
    }


def _axis(title: str) -> dict[str, Any]:
    return {"title": {"text": plotly_text(title)}}


def _finite(values: list[float]) -> list[float | None]:
    return [v if v is not None and math.isfinite(v) else None for v in values]


def histogram_figure(
    title: str,
    edges: list[float],
    counts: list[float],
    *,
    name: str = "reference",
    overlay: tuple[str, list[float]] | None = None,
) -> str:
    """Bars per bin of a profile histogram (bins ``(-inf, e0) ... [e_last, inf]``).

    ``overlay`` adds a second series on the same bins (a window's current data).
    """
    labels = _bin_labels(edges)
    total = sum(counts) or 1.0
    fig = go.Figure(go.Bar(x=labels, y=[c / total for c in counts], name=plotly_text(name)))
    if overlay is not None:
        other_name, other = overlay
        other_total = sum(other) or 1.0
        trace = go.Bar(x=labels, y=[c / other_total for c in other], name=plotly_text(other_name))
        fig.add_trace(trace)
    fig.update_layout(**_layout(title, barmode="group", yaxis=_axis("share")))
    return str(fig.to_json())


def _bin_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all"]
    labels = [f"< {edges[0]:.4g}"]
    labels += [f"[{a:.4g}, {b:.4g})" for a, b in itertools.pairwise(edges)]
    labels.append(f">= {edges[-1]:.4g}")
    # Our own text, but "<" would still open a tag for plotly.
    return plotly_texts(labels)


def bar_figure(title: str, categories: list[str], values: list[float], *, y_title: str) -> str:
    """One bar per category."""
    fig = go.Figure(go.Bar(x=plotly_texts(categories), y=_finite(values)))
    fig.update_layout(**_layout(title, yaxis=_axis(y_title)))
    return str(fig.to_json())


def line_figure(
    title: str,
    x: list[Any],
    series: dict[str, list[float]],
    *,
    x_title: str,
    bounds: dict[str, float] | None = None,
    marks: list[Any] | None = None,
    log_y: bool = False,
) -> str:
    """Lines over ``x``; ``bounds`` draws horizontal policy lines, ``marks`` vertical ones
    (``log_y`` for statistics of different scales on one chart)."""
    fig = go.Figure()
    # Window keys are text too; marks are escaped the same way so they still equal an x.
    xs = plotly_texts(x)
    for name, ys in series.items():
        trace = go.Scatter(x=xs, y=_finite(ys), mode="lines+markers", name=plotly_text(name))
        fig.add_trace(trace)
    for name, value in (bounds or {}).items():
        fig.add_hline(
            y=value, line_dash="dash", line_color="#a40e26", annotation_text=plotly_text(name)
        )
    for at in marks or []:
        fig.add_vline(x=plotly_text(at), line_color="#d4a72c", line_width=2)
    yaxis: dict[str, Any] = {"type": "log"} if log_y else {}
    fig.update_layout(**_layout(title, xaxis=_axis(x_title), yaxis=yaxis))
    return str(fig.to_json())


def comparison_figure(
    title: str, labels: list[str], reference: list[float], current: list[float]
) -> str:
    """Reference and current proportions side by side on the same bins or categories."""
    fig = go.Figure()
    xs = plotly_texts(labels)
    fig.add_trace(go.Bar(x=xs, y=_finite(reference), name="reference"))
    fig.add_trace(go.Bar(x=xs, y=_finite(current), name="current"))
    fig.update_layout(**_layout(title, barmode="group", yaxis=_axis("share")))
    return str(fig.to_json())
