"""Inline monitors: :class:`Monitor` and the :class:`WindowResult` of each closed window."""

from __future__ import annotations

from driftline.monitor.monitor import Monitor, WindowResult
from driftline.monitor.state import StateStore
from driftline.monitor.window import ClockWindows, CountWindows, EventTimeWindows

__all__ = [
    "ClockWindows",
    "CountWindows",
    "EventTimeWindows",
    "Monitor",
    "StateStore",
    "WindowResult",
]
