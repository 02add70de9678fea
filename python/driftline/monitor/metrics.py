"""Prometheus export of a monitor (``prometheus-client``): a custom collector, so values
are read at scrape time and nothing is updated on the observe path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["MonitorCollector", "serve"]


class MonitorCollector:
    """Collects ``driftline_*`` metrics from one monitor.

    Register with ``prometheus_client.REGISTRY.register(MonitorCollector(monitor))``.
    """

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Any]:
        """Yield the metric families."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        m = self.monitor
        labels = ["monitor"]
        rows = CounterMetricFamily("driftline_rows_observed", "Rows observed.", labels=labels)
        rows.add_metric([m.name], float(m.rows_observed))
        yield rows
        fired = CounterMetricFamily("driftline_triggers_fired", "Triggers fired.", labels=labels)
        fired.add_metric([m.name], float(m.triggers_fired))
        yield fired
        failed = GaugeMetricFamily(
            "driftline_outbox_dead_letters", "Deliveries that failed for good.", labels=labels
        )
        failed.add_metric([m.name], float(len(m.outbox.list("dead"))))
        yield failed
        last = m.history[-1] if m.history else None
        latency = GaugeMetricFamily(
            "driftline_window_close_seconds", "Latency of the last window close.", labels=labels
        )
        score = GaugeMetricFamily(
            "driftline_drift_score",
            "Drift statistic per feature (last window).",
            labels=["monitor", "feature", "method"],
        )
        drifted = GaugeMetricFamily(
            "driftline_drift_detected",
            "1 when the feature drifted (last window).",
            labels=["monitor", "feature"],
        )
        if last is not None:
            latency.add_metric([m.name], last.latency)
            if last.drift is not None:
                for f in last.drift.features:
                    if f.statistic is not None:
                        score.add_metric([m.name, f.column, str(f.method)], float(f.statistic))
                    drifted.add_metric([m.name, f.column], 1.0 if f.drifted else 0.0)
        yield latency
        yield score
        yield drifted


def serve(monitor: Any, port: int, *, addr: str = "127.0.0.1") -> Any:
    """Serve ``/metrics`` for ``monitor`` on ``addr:port`` (a daemon thread)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(MonitorCollector(monitor))  # type: ignore[arg-type]
    return start_http_server(port, addr=addr, registry=registry)
