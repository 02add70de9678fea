"""Reports: the terminal summary and the self-contained HTML drift report."""

from __future__ import annotations

from driftline.report.html import render_html

__all__ = ["render_html"]
