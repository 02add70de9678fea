"""dl.stats against scipy, same data, same run; the ratio is printed per group.

DRIFTLINE_BENCH_QUICK=1 (what `make test` runs) uses small sizes; the full run checks
the issue's target: exact KS on 1M vs 1M values at least 3x scipy.stats.ks_2samp.
Run: DRIFTLINE_BENCH_QUICK=0 .venv/bin/pytest benches/test_stats_bench.py -s
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.stats as ss

import driftline as dl

QUICK = os.environ.get("DRIFTLINE_BENCH_QUICK", "1") != "0"
N = 20_000 if QUICK else 1_000_000


def _is_debug_build() -> bool:
    from driftline import _native

    rng = np.random.default_rng(0)
    x = rng.normal(size=200_000)
    args = [dl.stats._to_arrow(v, "x") for v in (x, x + 1)]
    _native.stats_ks_2samp(*args, "asymp")  # warm-up: the thread pool starts here
    t = time.perf_counter()
    _native.stats_ks_2samp(*args, "asymp")
    # A release build sorts 2 x 200k values in a few ms; a debug build takes ~0.5 s.
    return time.perf_counter() - t > 0.25


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    # Quick mode only checks that the suite runs; timings there are not the claim.
    if not QUICK and _is_debug_build():
        warnings.warn(
            "driftline looks like a debug build: run `make setup` (release) for benchmarks",
            stacklevel=1,
        )
    rng = np.random.default_rng(42)
    return rng.normal(0, 1, N), rng.normal(0.01, 1, N)


def _best(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


CASES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "ks_2samp": (dl.stats.ks_2samp, ss.ks_2samp),
    "wasserstein": (dl.stats.wasserstein, ss.wasserstein_distance),
}


@pytest.mark.parametrize("impl", ["driftline", "scipy"])
@pytest.mark.parametrize("stat", list(CASES))
def test_bench_stats(
    benchmark: Any, data: tuple[np.ndarray, np.ndarray], stat: str, impl: str
) -> None:
    a, b = data
    benchmark.group = f"stats.{stat} {N} vs {N}"
    fn = CASES[stat][0 if impl == "driftline" else 1]
    benchmark(fn, a, b)


@pytest.mark.parametrize("stat", list(CASES))
def test_ratio_against_scipy(data: tuple[np.ndarray, np.ndarray], stat: str) -> None:
    a, b = data
    ours, theirs = CASES[stat]
    t_ours = _best(lambda: ours(a, b))
    t_scipy = _best(lambda: theirs(a, b))
    ratio = t_scipy / t_ours
    print(
        f"\n{stat} {N} vs {N}: driftline {t_ours * 1e3:.1f} ms, scipy {t_scipy * 1e3:.1f} ms, "
        f"ratio {ratio:.1f}x"
    )
    if not QUICK and stat == "ks_2samp":
        assert ratio >= 3.0, f"exact KS only {ratio:.2f}x scipy (target 3x)"
