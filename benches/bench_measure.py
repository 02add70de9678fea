"""Timing a benchmark case and recording it for same-run ratios.

Each case runs through :func:`measure`, which times it with pytest-benchmark, remembers
its median under ``(group, label)`` and stores in ``benchmark.extra_info`` its label, its
role (``driftline`` or ``baseline``) and, for driftline cases, each comparison: the ratio
against the fastest baseline already measured in the group (baselines come first in each
file), the target and whether it is met. :data:`SUMMARY` collects the comparisons for the
terminal summary that ``conftest.py`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench_build import has_debug_info
from bench_data import QUICK, ROUNDS
from bench_targets import Target, describe, evaluate
from driftline import _native

__all__ = ["BUILD", "MEDIANS", "SUMMARY", "Target", "measure"]

#: ``release`` or ``debug`` (or ``unknown`` off Linux): the native module's build.
BUILD = {True: "debug", False: "release", None: "unknown"}[has_debug_info(_native.__file__)]

MEDIANS: dict[tuple[str, str], float] = {}
SUMMARY: list[dict[str, Any]] = []


def _median(benchmark: Any) -> float | None:
    stats = getattr(benchmark, "stats", None)
    return None if stats is None else float(stats.stats.median)


def measure(
    benchmark: Any,
    fn: Callable[[], Any],
    *,
    label: str,
    targets: tuple[Target, ...] = (),
    rounds: int = ROUNDS,
    warmup: int = 1,
    seconds: Callable[[], float] | None = None,
    size: float | Callable[[], float] | None = None,
    role: str | None = None,
) -> Any:
    """Times ``fn`` and records it under its group and ``label``.

    Parameters
    ----------
    benchmark
        The pytest-benchmark fixture (its ``group`` set by the test's marker).
    fn
        The work, without arguments.
    label
        Name of the case in the tables (``numpy searchsorted+bincount``...).
    targets
        Goals of a driftline case; empty for a baseline.
    rounds, warmup
        Timed rounds and untimed warm-up rounds.
    seconds
        Returns a time the case measured itself (a subprocess's inner timing), used instead
        of the median of the rounds; called after them.
    size
        A size in bytes for ``max_bytes`` targets, or a function returning it after the
        rounds.
    role
        Overrides the role (default: ``driftline`` with targets, else ``baseline``).
    """
    result = benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=warmup)
    group = benchmark.group or "ungrouped"
    if callable(size):
        size = size()
    t = seconds() if seconds is not None else _median(benchmark)
    if t is not None:
        MEDIANS[(group, label)] = t
    info = benchmark.extra_info
    info.update(
        label=label,
        role=role or ("driftline" if targets else "baseline"),
        quick=QUICK,
        native_build=BUILD,
    )
    if seconds is not None:
        info["seconds"] = t
    if size is not None:
        info["bytes"] = size
    if targets:
        baselines = {lab: v for (g, lab), v in MEDIANS.items() if g == group and lab != label}
        comparisons = [evaluate(tg, t, size, baselines) for tg in targets]
        info["comparisons"] = comparisons
        for c in comparisons:
            SUMMARY.append({"group": group, "label": label, **c})
            print(f"\n[{group}] {label}: {describe(c)}")
    return result
