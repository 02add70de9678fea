"""Gates: what a candidate must show on the holdout before it is registered.

A gate looks at an :class:`Evaluation` (the candidate's holdout metrics and, when there is
one, the production version's) and returns a :class:`GateResult`. Performance metrics are
:func:`driftline.performance`'s (``accuracy``, ``roc_auc`` (alias ``auc``), ``f1``,
``log_loss`` ...), fairness metrics :func:`driftline.fairness`'s (``disparate_impact``,
``demographic_parity_difference``, ``equalized_odds_difference`` ...).

Any object with a ``name`` and ``check(evaluation) -> GateResult`` is a gate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from driftline.exceptions import InvalidParameter
from driftline.policy_args import HIGHER_IS_BETTER, LOWER_IS_BETTER, SIGNED_DIFFERENCES, number

__all__ = ["Evaluation", "FairnessGate", "Gate", "GateResult", "MetricGate", "PerformanceGate"]

_ALIASES = {"auc": "roc_auc"}
# Slack for floating-point noise when a candidate equals its bound exactly.
_EPS = 1e-12
# fairlearn's between-group aggregates: differences are max - min (0 is parity), ratios
# min / max (1 is parity). equal_opportunity_difference is signed, so it has no direction.
_FAIRNESS_HIGHER = frozenset({"demographic_parity_ratio", "equalized_odds_ratio"})
_FAIRNESS_LOWER = frozenset({"demographic_parity_difference", "equalized_odds_difference"})


@dataclass(frozen=True)
class Evaluation:
    """Metrics on the holdout.

    Attributes
    ----------
    rows
        Holdout rows.
    candidate
        The candidate's metrics (performance and fairness, by name; None when a metric
        could not be computed).
    baseline
        The production version's metrics: on the same holdout when the pipeline was given
        the production model (``baseline_source="model"``), otherwise the metrics recorded
        on the production version in the registry (``"registry:v<n>"``); None when no
        version is in production.
    """

    rows: int
    candidate: dict[str, float | None]
    baseline: dict[str, float | None] | None = None
    baseline_source: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "rows": self.rows,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "baseline_source": self.baseline_source,
            "reasons": self.reasons,
        }


@dataclass(frozen=True)
class GateResult:
    """The verdict of one gate."""

    gate: str
    metric: str
    passed: bool
    candidate: float | None
    baseline: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "gate": self.gate,
            "metric": self.metric,
            "passed": self.passed,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "message": self.message,
        }


@runtime_checkable
class Gate(Protocol):
    """Anything with a ``name`` and a ``check``."""

    name: str

    def check(self, evaluation: Evaluation) -> GateResult:
        """The verdict on one evaluation."""
        ...


def _canonical(metrics: dict[str, float | None]) -> dict[str, float | None]:
    """``metrics`` keyed by canonical names (``auc`` -> ``roc_auc``).

    Baselines recorded in the registry use the caller's names (registry.md records
    ``metrics={"auc": 0.91}``), while the gate looks up the canonical one: without this, a
    relative bound would find no production value and pass. A canonical key already
    present wins over its alias.
    """
    out = {_ALIASES.get(k, k): v for k, v in metrics.items() if k in _ALIASES}
    out.update({k: v for k, v in metrics.items() if k not in _ALIASES})
    return out


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


class MetricGate:
    """A bound on one metric: absolute (``minimum``, ``maximum``) and/or relative to the
    production version (``max_drop`` for higher-is-better metrics, ``max_increase`` for
    lower-is-better ones).

    Bounds are finite numbers, refused otherwise when the gate is built (a NaN bound
    would pass every candidate). A relative bound against the metric's direction
    (``max_drop`` on ``log_loss``, which would cap its improvement and let any
    worsening through) is refused too; metrics of unknown direction take either.

    Without a production version, the relative bounds pass (nothing to compare with) and
    the message says so; a metric the holdout could not give (a fairness metric with too
    few rows per group, say) fails the gate.
    """

    kind = "metric"

    def __init__(
        self,
        metric: str,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        max_drop: float | None = None,
        max_increase: float | None = None,
        name: str | None = None,
    ) -> None:
        if all(b is None for b in (minimum, maximum, max_drop, max_increase)):
            raise ValueError(
                f"gate on {metric!r} needs minimum=, maximum=, max_drop= or max_increase="
            )
        self.metric = _ALIASES.get(metric, metric)
        self.name = name or f"{self.kind}:{self.metric}"
        kind = f"gate {self.name!r}"

        def bound(what: str, value: Any, low: float | None = None) -> float | None:
            return None if value is None else number(kind, what, value, low=low)

        self.minimum, self.maximum = bound("minimum", minimum), bound("maximum", maximum)
        self.max_drop = bound("max_drop", max_drop, 0.0)
        self.max_increase = bound("max_increase", max_increase, 0.0)
        direction = self._direction()
        if direction == "lower" and self.max_drop is not None:
            raise InvalidParameter(
                f"{kind}: {self.metric} is lower-is-better, so max_drop= would cap its "
                "improvement and pass any worsening; bound its rise with max_increase="
            )
        if direction == "higher" and self.max_increase is not None:
            raise InvalidParameter(
                f"{kind}: {self.metric} is higher-is-better, so max_increase= would cap its "
                "improvement and pass any worsening; bound its fall with max_drop="
            )

    def _direction(self) -> str | None:
        """``"higher"`` or ``"lower"`` (is better), or None when unknown."""
        if self.metric in HIGHER_IS_BETTER:
            return "higher"
        if self.metric in LOWER_IS_BETTER:
            return "lower"
        return None

    def __repr__(self) -> str:
        bounds = {
            k: v
            for k, v in (
                ("minimum", self.minimum),
                ("maximum", self.maximum),
                ("max_drop", self.max_drop),
                ("max_increase", self.max_increase),
            )
            if v is not None
        }
        args = ", ".join(f"{k}={v}" for k, v in bounds.items())
        return f"{type(self).__name__}({self.metric!r}, {args})"

    def check(self, evaluation: Evaluation) -> GateResult:
        """Compare the candidate's metric with the bounds."""
        m = self.metric
        value = _number(_canonical(evaluation.candidate).get(m))
        base = (
            None if evaluation.baseline is None else _number(_canonical(evaluation.baseline).get(m))
        )

        def result(passed: bool, message: str) -> GateResult:
            return GateResult(self.name, m, passed, value, base, message)

        if value is None:
            why = evaluation.reasons.get(m, "not computed on the holdout")
            return result(False, f"{m}: no value ({why})")
        problems: list[str] = []
        notes: list[str] = []
        if self.minimum is not None and value < self.minimum - _EPS:
            problems.append(f"{m} {value:.4g} is below the minimum {self.minimum:g}")
        if self.maximum is not None and value > self.maximum + _EPS:
            problems.append(f"{m} {value:.4g} is above the maximum {self.maximum:g}")
        for bound, sign, word in ((self.max_drop, -1, "dropped"), (self.max_increase, 1, "rose")):
            if bound is None:
                continue
            if base is None:
                notes.append(f"no production {m} to compare with")
                continue
            change = (value - base) * sign
            if change > bound + _EPS:
                problems.append(
                    f"{m} {word} {change:.4g} from {base:.4g} to {value:.4g} (at most {bound:g})"
                )
            else:
                notes.append(f"{m} {value:.4g} vs production {base:.4g}")
        if problems:
            return result(False, "; ".join(problems))
        return result(True, "; ".join(notes) or f"{m} {value:.4g} within bounds")


class PerformanceGate(MetricGate):
    """A bound on a :func:`driftline.performance` metric of the candidate on the holdout.

    Examples
    --------
    >>> gate = PerformanceGate("auc", max_drop=0.02)
    >>> gate.check(Evaluation(100, {"roc_auc": 0.95}, {"roc_auc": 0.98}, "model")).message
    'roc_auc dropped 0.03 from 0.98 to 0.95 (at most 0.02)'
    >>> gate.check(Evaluation(100, {"roc_auc": 0.97}, {"roc_auc": 0.98}, "model")).passed
    True
    """

    kind = "performance"

    def __init__(self, metric: str = "roc_auc", **bounds: Any) -> None:
        super().__init__(metric, **bounds)


class FairnessGate(MetricGate):
    """A bound on a :func:`driftline.fairness` metric of the candidate's holdout
    predictions across the pipeline's ``sensitive`` groups.

    ``disparate_impact`` is a group's selection rate over the reference group's (AIF360),
    the one farthest from 1: above 1 when the reference group is the one selected less. It
    is therefore folded to ``min(v, 1 / v)`` before the bounds are checked
    (``fold=False`` checks the raw value), so that ``minimum=0.8`` is the four-fifths
    rule whichever group is favoured. AIF360's signed differences
    (``statistical_parity_difference``, ``average_odds_difference``,
    ``average_predictive_value_difference``) are negative when a group is disadvantaged
    against the reference, so their bounds apply to the absolute value.

    Examples
    --------
    >>> FairnessGate("disparate_impact", minimum=0.8).check(
    ...     Evaluation(100, {"disparate_impact": 0.72})).passed
    False
    >>> FairnessGate("disparate_impact", minimum=0.8).check(
    ...     Evaluation(100, {"disparate_impact": 1.5})).message
    'disparate_impact 0.6667 is below the minimum 0.8'
    """

    kind = "fairness"

    def __init__(
        self, metric: str = "disparate_impact", *, fold: bool | None = None, **bounds: Any
    ) -> None:
        # Set first: the metric's direction, checked by the base class, depends on it.
        self.fold = (_ALIASES.get(metric, metric) == "disparate_impact") if fold is None else fold
        super().__init__(metric, **bounds)

    def _direction(self) -> str | None:
        # Folded, disparate impact is at most 1 (parity); raw, it is best at 1 from
        # either side, with no direction.
        if self.metric == "disparate_impact":
            return "higher" if self.fold else None
        if self.metric in _FAIRNESS_HIGHER:
            return "higher"
        if self.metric in _FAIRNESS_LOWER or self.metric in SIGNED_DIFFERENCES:
            return "lower"
        return super()._direction()

    def check(self, evaluation: Evaluation) -> GateResult:
        """Compare the (folded, or absolute for a signed difference) metric with the
        bounds."""
        signed = self.metric in SIGNED_DIFFERENCES
        if not self.fold and not signed:
            return super().check(evaluation)

        def folded(metrics: dict[str, float | None] | None) -> dict[str, float | None] | None:
            if metrics is None:
                return None
            metrics = _canonical(metrics)
            v = _number(metrics.get(self.metric))
            if v is not None and self.fold and v > 1.0:
                v = 1.0 / v
            if v is not None and signed:
                v = abs(v)
            return {**metrics, self.metric: v}

        return super().check(
            Evaluation(
                evaluation.rows,
                folded(evaluation.candidate) or {},
                folded(evaluation.baseline),
                evaluation.baseline_source,
                evaluation.reasons,
            )
        )
