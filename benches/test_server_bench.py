"""Server benchmarks: a read route over HTTP against the same handler called directly.

``GET /api/v1/models/churn/versions?limit=100`` on a live uvicorn bound to 127.0.0.1,
through one keep-alive ``httpx`` client, against the route's handler function called in
the process with the same registry session: the ratio (``extra_info.ratio_to_direct``) is
what HTTP, authentication (two registry reads per request), JSON and the middleware
cost. A bounded load test then runs ``CLIENTS`` concurrent clients for at most
``SECONDS`` seconds or ``REQUESTS`` requests each, whichever comes first, and reports
throughput and p50/p99 latency. Ingestion posts 10k-row batches to a monitor as Arrow IPC
and, first, the same rows as JSON: the Arrow case's targets are 20M values/s and 10x JSON,
reported as same-run ratios. ``DRIFTLINE_BENCH_QUICK=1`` shrinks every bound.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import driftline as dl
from bench_data import QUICK
from bench_measure import MEDIANS, Target, measure
from driftline.registry import VersionSpec
from driftline.server import create_app
from driftline.server.auth import Principal
from driftline.server.routes import registry as routes

N_VERSIONS = 200 if QUICK else 1_000
CLIENTS = 4 if QUICK else 16
SECONDS = 2.0 if QUICK else 10.0
REQUESTS = 50 if QUICK else 2_000
PATH = "/api/v1/models/churn/versions?limit=100"


@dataclass
class Live:
    base: str
    headers: dict[str, str]
    session: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import uvicorn

    path: Path = tmp_path_factory.mktemp("server-bench") / "registry.db"
    registry = dl.Registry(f"sqlite:///{path}")
    token = registry.bootstrap("bench")
    session = registry.session(token)
    session.create_model("churn")
    specs = [
        VersionSpec.build(
            artifact_uri=f"s3://models/churn/{i}.onnx",
            checksum=f"sha256:{i:064x}",
            metrics={"auc": 0.8 + i / 10_000},
            tags={"run": str(i)},
        )
        for i in range(N_VERSIONS)
    ]
    session.register_versions("churn", specs)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(registry=registry),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}, session)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        registry.close()


def _direct(session: Any) -> list[dict[str, Any]]:
    who = Principal("bench", "admin", "person", session)
    return routes.list_versions("churn", who, limit=100)


def test_read_route_direct(benchmark: Any, live: Live) -> None:
    result = benchmark(_direct, live.session)
    assert len(result) == 100


def test_read_route_over_http(benchmark: Any, live: Live) -> None:
    with httpx.Client(base_url=live.base, headers=live.headers) as client:
        answer = benchmark(client.get, PATH)
        assert answer.status_code == 200 and len(answer.json()) == 100
        rounds = 5 if QUICK else 20
        direct = statistics.median(_timed(lambda: _direct(live.session)) for _ in range(rounds))
        http = statistics.median(_timed(lambda: client.get(PATH)) for _ in range(rounds))
    benchmark.extra_info["direct_seconds"] = direct
    benchmark.extra_info["http_seconds"] = http
    benchmark.extra_info["ratio_to_direct"] = http / direct
    print(
        f"\nread route: direct {1000 * direct:.1f} ms, over HTTP {1000 * http:.1f} ms, "
        f"ratio {http / direct:.2f}"
    )


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_bounded_load(benchmark: Any, live: Live) -> None:
    """CLIENTS clients, each up to REQUESTS requests or SECONDS seconds; every answer 200."""

    def one_client(_: int) -> tuple[list[float], int]:
        latencies: list[float] = []
        failures = 0
        stop = time.monotonic() + SECONDS
        with httpx.Client(base_url=live.base, headers=live.headers, timeout=30) as client:
            while len(latencies) < REQUESTS and time.monotonic() < stop:
                start = time.perf_counter()
                answer = client.get(PATH)
                latencies.append(time.perf_counter() - start)
                failures += answer.status_code != 200
        return latencies, failures

    def run() -> tuple[list[float], int, float]:
        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one_client, range(CLIENTS)))
        wall = time.perf_counter() - start
        return [x for lat, _ in results for x in lat], sum(f for _, f in results), wall

    latencies, failures, wall = benchmark.pedantic(run, rounds=1, iterations=1)
    latencies.sort()
    assert failures == 0 and latencies
    info = benchmark.extra_info
    info["clients"] = CLIENTS
    info["requests"] = len(latencies)
    info["requests_per_second"] = len(latencies) / wall
    info["p50_ms"] = 1000 * latencies[len(latencies) // 2]
    info["p99_ms"] = 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"\nload: {CLIENTS} clients, {len(latencies)} requests in {wall:.1f} s = "
        f"{info['requests_per_second']:.0f} req/s, p50 {info['p50_ms']:.1f} ms, "
        f"p99 {info['p99_ms']:.1f} ms"
    )


N_COLUMNS = 10
BATCH_ROWS = 10_000
INGEST_ROUNDS = 5 if QUICK else 30
TARGET_VALUES_PER_SECOND = 20e6
TARGET_SPEEDUP = 10.0
JSON_LABEL = "json rows over HTTP"
ARROW_LABEL = "arrow ipc over HTTP"
INGEST: dict[str, float] = {}


@pytest.fixture(scope="module")
def ingest_target(live: Live) -> Iterator[str]:
    pytest.importorskip("driftline._native", reason="the native module is not built")
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(3)
    table = pa.table({f"f{i}": rng.normal(size=BATCH_ROWS) for i in range(N_COLUMNS)})
    live.session.register_version(
        "churn",
        artifact_uri="s3://models/churn/ref.onnx",
        checksum="sha256:" + "f" * 64,
        reference_profile=dl.profile(table),
    )
    version = live.session.list_versions("churn", limit=100_000)[-1].version
    config = {"name": "bench", "model": "churn", "version": version, "window": 10_000_000}
    with httpx.Client(base_url=live.base, headers=live.headers) as client:
        assert client.post("/api/v1/monitors", json=config).status_code == 201
    yield "/api/v1/monitors/bench/batches"


def _batch() -> Any:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(4)
    return pa.table({f"f{i}": rng.normal(size=BATCH_ROWS) for i in range(N_COLUMNS)})


def _post(client: httpx.Client, url: str, body: bytes) -> httpx.Response:
    answer = client.post(url, content=body)
    assert answer.status_code == 200 and answer.json()["rows"] == BATCH_ROWS, answer.text[:300]
    return answer


def _record_throughput(benchmark: Any, kind: str) -> float:
    median = MEDIANS[("server-ingest", kind)]
    per_second = BATCH_ROWS * N_COLUMNS / median
    benchmark.extra_info["values_per_second"] = per_second
    INGEST[kind] = per_second
    return per_second


@pytest.mark.benchmark(group="server-ingest")
def test_ingest_json_rows_over_http(benchmark: Any, live: Live, ingest_target: str) -> None:
    """The baseline: the same 10k rows as JSON ``{"rows": [...]}`` (what a client without
    Arrow sends)."""
    import json

    body = json.dumps({"rows": _batch().to_pylist()}).encode()
    headers = {**live.headers, "Content-Type": "application/json"}
    with httpx.Client(base_url=live.base, headers=headers, timeout=120) as client:
        measure(
            benchmark,
            lambda: _post(client, ingest_target, body),
            label=JSON_LABEL,
            rounds=max(2, INGEST_ROUNDS // 5),
        )
    per_second = _record_throughput(benchmark, JSON_LABEL)
    print(f"\ningest json: {per_second / 1e6:.2f} M values/s")


@pytest.mark.benchmark(group="server-ingest")
def test_ingest_arrow_ipc_over_http(benchmark: Any, live: Live, ingest_target: str) -> None:
    """Arrow IPC stream bodies of 10k rows x 10 float64 columns, one keep-alive client.

    Targets (issue 7): at least 20M values/s (one request of 100k values within 5 ms) and
    at least 10x the same rows sent as JSON, measured just before in the same run.
    """
    import pyarrow as pa

    table = _batch()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    body = bytes(sink.getvalue())
    headers = {**live.headers, "Content-Type": "application/vnd.apache.arrow.stream"}
    with httpx.Client(base_url=live.base, headers=headers, timeout=60) as client:
        measure(
            benchmark,
            lambda: _post(client, ingest_target, body),
            label=ARROW_LABEL,
            rounds=INGEST_ROUNDS,
            targets=(
                Target("max_seconds", BATCH_ROWS * N_COLUMNS / TARGET_VALUES_PER_SECOND),
                Target("speedup", TARGET_SPEEDUP, (JSON_LABEL,)),
            ),
        )
    per_second = _record_throughput(benchmark, ARROW_LABEL)
    benchmark.extra_info["body_bytes"] = len(body)
    json_rate = INGEST.get(JSON_LABEL)
    ratio = f", {per_second / json_rate:.1f}x JSON" if json_rate else ""
    print(f"\ningest arrow: {per_second / 1e6:.1f} M values/s{ratio}")
