"""HTML building blocks: every value is escaped here, pages assemble escaped fragments.

No template engine: the pages are small, and one escaping function used everywhere is
easier to audit than a template language. :class:`Markup` marks text already escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

__all__ = ["Markup", "esc", "form_hidden", "link", "page", "path_part", "table"]


class Markup(str):
    """A string that is already HTML (never built from unescaped user text)."""


def esc(value: Any) -> Markup:
    """Escape any value for HTML text or a quoted attribute."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def path_part(value: Any) -> str:
    """A URL path segment for a name (every reserved character percent-encoded)."""
    text = str(value)
    if text and text.strip(".") == "":
        # "." and ".." are dot-segments: browsers resolve them away (RFC 3986 5.2.4), so
        # /ui/models/.. would lead to /ui/. Encoded dots reach the server as the name.
        return "%2E" * len(text)
    return quote(text, safe="")


def link(href: str, text: Any, **attrs: str) -> Markup:
    """An anchor; ``href`` must be built with :func:`path_part` for user segments."""
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return Markup(f'<a href="{esc(href)}"{extra}>{esc(text)}</a>')


def form_hidden(name: str, value: str) -> Markup:
    """A hidden form field."""
    return Markup(f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">')


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, table_id: str = "") -> Markup:
    """A table; cells are escaped unless given as :class:`Markup`."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return Markup(f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def chart(figure_json: str, *, chart_id: str, title: str = "") -> Markup:
    """A chart placeholder drawn by ``charts.js`` from its JSON data attribute."""
    return Markup(
        f'<figure class="chart"><div class="dl-chart" id="{esc(chart_id)}" '
        f'data-figure="{esc(figure_json)}" aria-label="{esc(title)}"></div></figure>'
    )


def json_attr(value: Any) -> str:
    """JSON for a data attribute (escaped by :func:`esc` when placed)."""
    return json.dumps(value, separators=(",", ":"))


def page(
    title: str,
    body: Markup,
    *,
    user: str | None = None,
    role: str | None = None,
    csrf: str = "",
    nav: Sequence[tuple[str, str]] = (),
    charts: bool = False,
) -> str:
    """A full page: header with navigation and the user, then ``body``."""
    links = "".join(f"<li>{link(href, text)}</li>" for href, text in nav)
    who = ""
    if user is not None:
        who = (
            f'<span class="who">{esc(user)} ({esc(role)})</span>'
            f'<form method="post" action="/ui/logout" class="inline">{form_hidden("csrf", csrf)}'
            '<button type="submit" id="logout">Log out</button></form>'
        )
    scripts = ""
    if charts:
        scripts = (
            '<script src="/ui/static/plotly.min.js"></script>'
            '<script src="/ui/static/charts.js"></script>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)} · driftline</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/ui/static/style.css">'
        f"</head><body><header><strong>driftline</strong><nav><ul>{links}</ul></nav>{who}"
        f"</header><main><h1>{esc(title)}</h1>{body}</main>{scripts}</body></html>"
    )
