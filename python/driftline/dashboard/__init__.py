"""The dashboard: server-rendered pages with plotly charts, served under ``/ui`` by
``driftline serve`` (registry pages in :mod:`~driftline.dashboard.pages`, the audit log in
:mod:`~driftline.dashboard.audit_page`, monitors in
:mod:`~driftline.dashboard.monitor_pages`, segmented evaluations in
:mod:`~driftline.dashboard.segment_pages`)."""

from __future__ import annotations

from driftline.dashboard.audit_page import router as audit_router
from driftline.dashboard.monitor_pages import router as monitors_router
from driftline.dashboard.pages import router
from driftline.dashboard.segment_pages import router as segments_router

routers = [router, audit_router, monitors_router, segments_router]

__all__ = ["routers"]
