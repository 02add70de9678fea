"""Prometheus instruments of the server, on a registry of their own (one per app).

Requests are labelled by route template (``/api/v1/models/{model}``), never by raw path,
and by method, any non-standard one as ``OTHER``, so user strings never become label
values and the label set stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["ServerMetrics", "method_label"]

# The methods of RFC 9110 and PATCH (RFC 5789). Any token is a valid HTTP method, so one
# taken verbatim as a label would let a client create a series per made-up method.
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


def method_label(method: Any) -> str:
    """The ``method`` label of a request: a standard method as is, anything else ``OTHER``.

    Examples
    --------
    >>> method_label("GET"), method_label("M0042"), method_label(None)
    ('GET', 'OTHER', 'OTHER')
    """
    return method if method in _METHODS else "OTHER"


class _Callback(Collector):
    def __init__(self, collect: Callable[[], list[GaugeMetricFamily]]) -> None:
        self._collect = collect

    def describe(self) -> list[Any]:
        # Families appear as monitors are created: nothing to check at registration.
        return []

    def collect(self) -> Any:
        yield from self._collect()


class ServerMetrics:
    """HTTP instruments plus any number of collectors added by other parts (monitors).

    Attributes
    ----------
    registry
        The ``prometheus_client`` registry that ``/metrics`` renders.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "driftline_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "driftline_http_request_duration_seconds",
            "Time to answer a request, by route template.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )

    def add_collector(self, collect: Callable[[], list[GaugeMetricFamily]]) -> None:
        """Add families computed at scrape time (``collect()`` returns them)."""
        self.registry.register(_Callback(collect))

    def middleware(self, app: Any) -> Any:
        """An ASGI middleware recording each request in the instruments."""
        metrics = self

        async def record(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            status = 500
            start = time.perf_counter()

            async def tracking_send(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            try:
                await app(scope, receive, tracking_send)
            finally:
                route = str(scope.get("driftline.route", "<unmatched>"))
                metrics.requests.labels(route, method_label(scope.get("method")), str(status)).inc()
                metrics.latency.labels(route).observe(time.perf_counter() - start)

        return record
