"""The result of a closed window, and how a window is judged against the reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from driftline.monitor.quality import quality_findings
from driftline.policies import Trigger

__all__ = ["WindowResult", "judge"]


@dataclass
class WindowResult:
    """A closed window and its verdicts."""

    window: str
    rows: int
    profile: Any
    drift: Any = None
    quality: list[dict[str, Any]] = field(default_factory=list)
    performance: Any = None
    fairness: Any = None
    triggers: list[Trigger] = field(default_factory=list)
    suppressed: list[Trigger] = field(default_factory=list)
    closed_at: float = 0.0
    latency: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "window": self.window,
            "rows": self.rows,
            "drift": None if self.drift is None else self.drift.to_dict(),
            "quality": self.quality,
            "performance": None if self.performance is None else self.performance.to_dict(),
            "fairness": None if self.fairness is None else self.fairness.to_dict(),
            "triggers": [t.to_dict() for t in self.triggers],
            "suppressed": [t.to_dict() for t in self.suppressed],
            "closed_at": self.closed_at,
            "latency": self.latency,
            "errors": self.errors,
        }


def judge(
    result: WindowResult,
    outcomes: pa.Table | None,
    *,
    reference: Any,
    features: Sequence[str],
    methods: Any,
    thresholds: Any,
    prediction: str | None,
    label: str | None,
    score: str | None,
    sensitive: Sequence[str],
    task: str,
) -> None:
    """Fill ``result`` with drift, quality findings, performance and fairness; a failing
    part is recorded in ``result.errors`` and never stops the others."""
    from driftline.drift import compare

    try:
        result.drift = compare(
            reference,
            result.profile,
            columns=features,
            methods=methods,
            thresholds=thresholds,
        )
    except Exception as exc:
        result.errors.append(f"drift: {type(exc).__name__}: {exc}")
    result.quality.extend(quality_findings(reference, result.profile, features))
    if outcomes is None or outcomes.num_rows == 0:
        return
    if label and prediction and label in outcomes.column_names:
        labelled = outcomes.filter(outcomes.column(label).is_valid())
        if labelled.num_rows:
            from driftline.performance import performance

            try:
                result.performance = performance(
                    labelled,
                    prediction=prediction,
                    label=label,
                    score=score,
                    task=task,  # type: ignore[arg-type]
                )
            except Exception as exc:
                result.errors.append(f"performance: {type(exc).__name__}: {exc}")
    if sensitive and prediction:
        from driftline.fairness import fairness

        try:
            result.fairness = fairness(
                outcomes,
                prediction=prediction,
                label=label if label in outcomes.column_names else None,
                sensitive=sensitive,
            )
        except Exception as exc:
            result.errors.append(f"fairness: {type(exc).__name__}: {exc}")
