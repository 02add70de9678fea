"""The cost of ``Monitor.observe``: one record (a dict of 25 values and a one-row batch),
1k-row and 1M-row batches, from 1 and 4 threads, and 10k-row batches from 2 threads.

Baselines measured in the same run: a scikit-learn LogisticRegression ``predict`` on one
row (what observe must add little to), appending to a Python list then ``pa.concat_tables``
at window close (the least a home-made monitor does), and scouter-ml's per-record queue
``insert`` when its venv exists (``DRIFTLINE_SCOUTER_PYTHON``, default
/tmp/monitor-scouter-venv/bin/python; run by ``peers/scouter_insert.py``). Figures are
printed at the end (``-s``) and kept in each benchmark's extra_info. Use a release build:
a debug build is an order of magnitude slower. ``DRIFTLINE_BENCH_QUICK=0`` for full size.

    .venv/bin/pytest benches/test_monitor_bench.py -s --benchmark-disable-gc
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import driftline as dl

QUICK = os.environ.get("DRIFTLINE_BENCH_QUICK", "1") != "0"
BIG = 100_000 if QUICK else 1_000_000
CALLS = 20_000 if QUICK else 200_000
COLS = [f"f{i:02d}" for i in range(25)]
RESULTS: dict[str, str] = {}


def make(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({c: rng.normal(i, 1 + i / 10, n) for i, c in enumerate(COLS)})


@pytest.fixture(scope="module")
def ref() -> pa.Table:
    return make(50_000)


def monitor(ref: pa.Table) -> Any:
    # Windows larger than the run: the figures are the observe path (closing is measured
    # by the window-close benchmark).
    return dl.Monitor(ref, window=10**12, dispatch="manual")


MEANS: dict[int, float] = {}


def per_call(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    """Median and p99 of one call, in microseconds (the mean, which includes the bulk
    profiling every few thousand rows, goes to MEANS keyed by the function's id)."""
    t = np.empty(n, dtype=np.int64)
    clock = time.perf_counter_ns
    for i in range(n):
        t0 = clock()
        fn()
        t[i] = clock() - t0
    MEANS[id(fn)] = float(t.mean()) / 1e3
    return float(np.median(t)) / 1e3, float(np.percentile(t, 99)) / 1e3


def record(key: str, text: str, benchmark: Any, **extra: float) -> None:
    RESULTS[key] = text
    benchmark.extra_info.update(extra)


def scouter_insert(n: int) -> tuple[float, float] | None:
    py = os.environ.get("DRIFTLINE_SCOUTER_PYTHON", "/tmp/monitor-scouter-venv/bin/python")
    script = Path(__file__).parent / "peers" / "scouter_insert.py"
    if not Path(py).exists():
        return None
    env = dict(os.environ, LOG_LEVEL="error")
    try:
        out = subprocess.run(
            [py, str(script), str(n)], capture_output=True, text=True, timeout=300, env=env
        )
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        print("scouter-ml did not run:", out.stderr[-400:], file=sys.stderr)
        return None
    d = json.loads(out.stdout.strip().splitlines()[-1])
    return float(d["median_us"]), float(d["p99_us"])


def test_one_record(ref: pa.Table, benchmark: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    X = np.column_stack([np.asarray(ref[c]) for c in COLS])
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression(max_iter=200).fit(X[:5000], y[:5000])
    row = X[:1]
    rec = {c: float(X[0, i]) for i, c in enumerate(COLS)}
    batch = ref.slice(0, 1)
    mon = monitor(ref)
    n = CALLS
    pred = per_call(lambda: model.predict(row), n // 4)
    obs_rec = lambda: mon.observe(rec)  # noqa: E731
    obs_batch = lambda: mon.observe(batch)  # noqa: E731
    d_med, d_p99 = per_call(obs_rec, n)
    b_med, b_p99 = per_call(obs_batch, n)
    sink: list[Any] = []
    l_med, _ = per_call(lambda: sink.append(rec), n)
    scout = scouter_insert(n)
    benchmark.pedantic(mon.observe, args=(rec,), rounds=1000, iterations=1)
    text = (
        f"one record: observe(dict of 25) median {d_med:.2f} us p99 {d_p99:.2f} us "
        f"mean {MEANS[id(obs_rec)]:.2f} us; "
        f"observe(1-row batch) median {b_med:.2f} us p99 {b_p99:.2f} us "
        f"mean {MEANS[id(obs_batch)]:.2f} us; "
        f"LogisticRegression.predict(1 row) median {pred[0]:.1f} us -> observe(dict) adds "
        f"{100 * d_med / pred[0]:.1f}%, observe(batch) {100 * b_med / pred[0]:.1f}%; "
        f"list.append {l_med:.2f} us"
    )
    if scout is not None:
        text += (
            f"; scouter-ml insert median {scout[0]:.2f} us p99 {scout[1]:.2f} us "
            f"(dict ratio median {d_med / scout[0]:.2f}x, p99 {d_p99 / scout[1]:.2f}x)"
        )
    else:
        text += "; scouter-ml not available"
    record(
        "one_record",
        text,
        benchmark,
        dict_median_us=d_med,
        dict_p99_us=d_p99,
        batch_median_us=b_med,
        predict_median_us=pred[0],
    )
    mon.close_window()


CPU: dict[str, float] = {}


def _threads(k: int, fn: Callable[[int], None]) -> float:
    """Wall seconds; the process CPU seconds go to CPU["last"] (this machine is shared)."""
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(k)]
    t0, c0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    CPU["last"] = time.process_time() - c0
    return time.perf_counter() - t0


@pytest.mark.parametrize("rows", [1_000, BIG])
@pytest.mark.parametrize("threads", [1, 4])
def test_batches(ref: pa.Table, benchmark: Any, rows: int, threads: int) -> None:
    batch = make(rows, seed=1)
    calls = max(8, min(400, 2_000_000 // rows)) // threads * threads
    mon = monitor(ref)

    def run(i: int) -> None:
        for _ in range(calls // threads):
            mon.observe(batch)

    mon.observe(batch)  # warm-up
    secs = _threads(threads, run)
    cpu = CPU["last"]
    base: list[pa.Table] = []

    def run_base(i: int) -> None:
        for _ in range(calls // threads):
            base.append(batch)

    bsecs = _threads(threads, run_base)
    t0 = time.perf_counter()
    pa.concat_tables(base).combine_chunks()
    bsecs += time.perf_counter() - t0
    values = calls * rows * len(COLS)
    benchmark.pedantic(mon.observe, args=(batch,), rounds=3, iterations=1)
    text = (
        f"{rows}-row batches x {threads} thread(s): {secs / calls * 1e6:.1f} us per call, "
        f"{values / secs / 1e6:.1f} M values/s wall, {values / cpu / 1e6:.1f} M values per "
        f"CPU-second (list+concat baseline "
        f"{values / bsecs / 1e6:.1f} M values/s, {secs / bsecs:.1f}x its time)"
    )
    record(f"batch_{rows}_{threads}", text, benchmark, mvalues_per_s=values / secs / 1e6)
    mon.close_window()


def test_two_threads_10k(ref: pa.Table, benchmark: Any) -> None:
    batch = make(10_000, seed=2)
    mon = monitor(ref)
    calls = 100

    def run(i: int) -> None:
        for _ in range(calls // 2):
            mon.observe(batch)

    secs = _threads(2, run)
    rate = calls * 10_000 * len(COLS) / secs / 1e6
    cpu_rate = calls * 10_000 * len(COLS) / CPU["last"] / 1e6
    benchmark.pedantic(mon.observe, args=(batch,), rounds=3, iterations=1)
    record(
        "two_threads_10k",
        f"10k-row batches x 2 threads: {rate:.1f} M values/s wall, "
        f"{cpu_rate:.1f} M per CPU-second (target >= 50 wall)",
        benchmark,
        mvalues_per_s=rate,
    )
    mon.close_window()


def test_window_close(ref: pa.Table, benchmark: Any) -> None:
    mon = dl.Monitor(ref, window=10**12, dispatch="manual", policies=[dl.policies.Drift()])
    batch = make(10_000, seed=3)

    def close() -> None:
        mon.observe(batch)
        mon.close_window()

    benchmark.pedantic(close, rounds=5, iterations=1)
    lat = mon.history[-1].latency
    record(
        "window_close",
        f"window close (10k rows, 25 features, drift + quality): {lat * 1e3:.1f} ms",
        benchmark,
        close_ms=lat * 1e3,
    )


def teardown_module() -> None:
    print("\n== Monitor.observe ==")
    for v in RESULTS.values():
        print(" -", v)
