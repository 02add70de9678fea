"""driftline's HTTP server: the registry's REST API, monitors, ``/metrics`` and the dashboard.

Start it with ``driftline serve`` or build the app with :func:`create_app`.
"""

from __future__ import annotations

from driftline.server.app import create_app

__all__ = ["create_app"]
