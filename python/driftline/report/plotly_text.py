"""Stored text made safe for plotly, whose labels are a small HTML dialect.

plotly.js reads every title, axis title, tick label, trace name, hover and bar text and
annotation as markup: ``<a href=...>`` becomes a live link, ``<b>``, ``<br>`` and
``<span style=...>`` restyle the chart. Column names, category values and segment keys are
whatever the data held, so the dashboard (:mod:`driftline.dashboard.charts`) and the HTML
reports (:mod:`driftline.report.html`, :mod:`driftline.report.results`) pass each one
through :func:`plotly_text` before it reaches a figure. plotly decodes the entities again
when it draws, so the reader sees the original characters, as text.

Examples
--------
>>> plotly_text('<a href="https://x.example">R&D</a>')
'&lt;a href="https://x.example"&gt;R&amp;D&lt;/a&gt;'
>>> plotly_texts(["a<b", 3])
['a&lt;b', 3]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

__all__ = ["plotly_text", "plotly_texts"]


@overload
def plotly_text(value: str) -> str: ...
@overload
def plotly_text(value: Any) -> Any: ...
def plotly_text(value: Any) -> Any:
    """``value`` with ``&``, ``<`` and ``>`` as entities when it is a string.

    Other values (numbers, dates, None) are returned unchanged: plotly draws them without
    reading markup, and a number must stay a number for a linear axis. Quotes are kept:
    they only matter inside a tag, and no tag survives the escaping of ``<``.
    """
    if not isinstance(value, str):
        return value
    # "&" first, so the entities made for "<" and ">" are not escaped again.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plotly_texts(values: Iterable[Any]) -> list[Any]:
    """:func:`plotly_text` of each value (axis categories, bar texts, hover texts)."""
    return [plotly_text(v) for v in values]
