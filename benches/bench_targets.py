"""Targets of the driftline cases and how a measurement is judged against them.

Shared by ``conftest.py`` (ratios printed in the run) and ``report.py`` (the results page),
so that both compute the same ratio from the same medians.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Target", "describe", "evaluate"]


@dataclass(frozen=True)
class Target:
    """A goal for a driftline case.

    ``kind`` is ``speedup`` (fastest baseline's time / driftline's time >= ``value``),
    ``max_slowdown`` (driftline's time / fastest baseline's time <= ``value``),
    ``max_seconds`` (driftline's median <= ``value``) or ``max_bytes`` (the case's
    ``extra_info["bytes"]`` <= ``value``). ``against`` names the baseline labels of the
    group; the fastest of them is the reference.
    """

    kind: str
    value: float
    against: tuple[str, ...] = ()


def evaluate(
    target: Target, seconds: float | None, size: float | None, baselines: dict[str, float]
) -> dict[str, Any]:
    """The comparison record of one target: ratio, reference baseline and verdict."""
    rec: dict[str, Any] = {**asdict(target), "against": list(target.against)}
    rec.update(ratio=None, reference=None, met=None)
    if target.kind == "max_bytes":
        rec.update(ratio=size, met=None if size is None else size <= target.value)
        return rec
    if seconds is None:
        return rec
    if target.kind == "max_seconds":
        rec.update(ratio=seconds, met=seconds <= target.value)
        return rec
    known = {k: v for k, v in baselines.items() if k in target.against}
    if not known:
        return rec
    ref = min(known, key=known.__getitem__)
    if target.kind == "speedup":
        ratio = known[ref] / seconds
        met = ratio >= target.value
    else:
        ratio = seconds / known[ref]
        met = ratio <= target.value
    rec.update(ratio=ratio, reference=ref, met=met)
    return rec


def describe(c: dict[str, Any]) -> str:
    """One line for a comparison record."""
    ratio, kind, value = c["ratio"], c["kind"], c["value"]
    verdict = {True: "met", False: "MISSED", None: "not measured"}[c["met"]]
    if ratio is None:
        return f"{kind} {value:g} against {', '.join(c['against']) or '-'}: {verdict}"
    if kind == "speedup":
        return f"{ratio:.2f}x faster than {c['reference']} (target >= {value:g}x): {verdict}"
    if kind == "max_slowdown":
        return f"{ratio:.2f}x the time of {c['reference']} (target <= {value:g}x): {verdict}"
    if kind == "max_seconds":
        return f"{ratio * 1e3:.3f} ms (target < {value * 1e3:g} ms): {verdict}"
    return f"{ratio / 1024:.1f} KiB (target < {value / 1024:g} KiB): {verdict}"
