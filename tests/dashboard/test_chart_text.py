"""Every string a dashboard chart gives plotly is escaped: plotly reads labels as markup
(``<a href>`` would be a live link), and decodes the entities back when it draws."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import Any

import pytest

from driftline.dashboard import charts

HOSTILE = [
    '<a href="https://evil.example/phish">Click to re-login</a>',
    "<b>bold</b><br>R&D",
    "&lt;already escaped&gt;",
    "plain \"quoted\" 'text'",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_plotly_text_is_undone_by_an_html_entity_decoder(text: str) -> None:
    from driftline.report.plotly_text import plotly_text

    escaped = plotly_text(text)
    assert "<" not in escaped and ">" not in escaped
    assert html.unescape(escaped) == text


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if path == "layout" and k == "template":
                continue  # plotly's own theme, not our text
            yield from _strings(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, path)
    elif isinstance(node, str):
        yield path, node


def _figures() -> dict[str, str]:
    a, b = HOSTILE[0], HOSTILE[1]
    return {
        "bar": charts.bar_figure(a, [a, b, "ok"], [1.0, 2.0, 3.0], y_title=b),
        "line": charts.line_figure(
            a, [a, b], {a: [1.0, 2.0], b: [2.0, 1.0]}, x_title=b, bounds={a: 1.5}, marks=[a]
        ),
        "comparison": charts.comparison_figure(a, [a, b], [0.5, 0.5], [0.2, 0.8]),
        "histogram": charts.histogram_figure(a, [0.0, 1.0], [1.0, 2.0, 3.0], name=b),
    }


@pytest.mark.parametrize("kind", ["bar", "line", "comparison", "histogram"])
def test_no_chart_string_holds_markup(kind: str) -> None:
    fig = json.loads(_figures()[kind])
    found = list(_strings(fig))
    assert found
    assert [(p, s) for p, s in found if "<" in s or ">" in s] == []
    # What the reader sees (plotly decodes the entities) is the stored text.
    shown = {html.unescape(s) for _, s in found}
    assert HOSTILE[0] in shown


def test_trigger_marks_still_sit_on_their_window() -> None:
    key = "<w1>"
    fig = json.loads(
        charts.line_figure("t", [key, "w2"], {"m": [1.0, 2.0]}, x_title="w", marks=[key])
    )
    [line] = [s for s in fig["layout"]["shapes"] if s["x0"] == s["x1"]]
    assert line["x0"] == fig["data"][0]["x"][0]
