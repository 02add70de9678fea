"""The dashboard: server-rendered pages with plotly charts, served under ``/ui`` by
``driftline serve`` (see :mod:`driftline.dashboard.pages`)."""

from __future__ import annotations

from driftline.dashboard.pages import router

__all__ = ["router"]
