"""Policies: when a closed window should fire a trigger.

Every policy turns a window into a score and keeps a small state machine:

- it *breaches* when the score crosses ``threshold`` for ``consecutive`` windows in a row:
  a floor when it falls below it, a ceiling when it rises above it, and a count
  (:class:`Drift`, :class:`DataQuality`) when it reaches it;
- an active alert *clears* only once the score is back past ``clear`` (hysteresis: a
  score hovering at the threshold does not flap): at or above a floor's ``clear``, at or
  below a ceiling's, below a count's;
- a trigger fires when an alert becomes active, unless the policy fired less than
  ``cooldown`` seconds ago.

The state is a plain dict (``state()`` / ``load_state()``) kept by the monitor's state
store, so restarts neither forget an active alert nor fire it again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from driftline.exceptions import InvalidParameter
from driftline.policy_args import (
    HIGH_IS_UNFAIR,
    HIGHER_IS_BETTER,
    LOW_IS_UNFAIR,
    LOWER_IS_BETTER,
    PERFORMANCE_METRICS,
    SIGNED_DIFFERENCES,
    parse_duration,
)
from driftline.policy_args import count as _count
from driftline.policy_args import duration as _duration
from driftline.policy_args import number as _number

if TYPE_CHECKING:
    from driftline.monitor.monitor import WindowResult

__all__ = [
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "PERFORMANCE_METRICS",
    "DataQuality",
    "Drift",
    "Fairness",
    "Performance",
    "Policy",
    "Schedule",
    "Trigger",
    "fairness_metrics",
    "parse_duration",
]


@dataclass(frozen=True)
class Trigger:
    """A policy's decision to act on a window; ``id`` is stable across restarts."""

    id: str
    monitor: str
    policy: str
    kind: str
    window: str
    fired_at: float
    score: float | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the webhook's ``data``)."""
        return {
            "id": self.id,
            "monitor": self.monitor,
            "policy": self.policy,
            "kind": self.kind,
            "window": self.window,
            "fired_at": self.fired_at,
            "score": self.score,
            "reason": self.reason,
            "details": self.details,
        }


class Policy:
    """Base class: subclasses implement :meth:`score` (and may set ``higher_is_worse``).

    ``higher_is_worse`` makes ``threshold`` a ceiling (else a floor, breached strictly
    below it); ``inclusive`` makes a ceiling breach at the threshold too, as a count does
    ("at least 2 features"), else only strictly above it.

    Parameters
    ----------
    threshold
        The score at which the policy breaches.
    clear
        The score past which an active alert clears (default: the threshold itself).
    consecutive
        Breaching windows in a row needed to fire.
    cooldown
        Minimum time between two triggers of this policy (seconds or ``"6h"``).
    name
        Unique name within a monitor (default: the kind).
    """

    kind = "policy"
    higher_is_worse = True
    inclusive = True

    def __init__(
        self,
        threshold: float,
        *,
        clear: float | None = None,
        consecutive: int = 1,
        cooldown: float | str | timedelta | None = None,
        name: str | None = None,
    ) -> None:
        self.consecutive = _count(self.kind, "consecutive", consecutive, low=1)
        self.threshold = _number(self.kind, "threshold", threshold)
        self.clear = self.threshold if clear is None else _number(self.kind, "clear", clear)
        worse = self.clear > self.threshold if self.higher_is_worse else self.clear < self.threshold
        if worse:
            side = "at or below" if self.higher_is_worse else "at or above"
            raise InvalidParameter(f"{self.kind}: clear must be {side} the threshold")
        self.cooldown = _duration(self.kind, "cooldown", cooldown)
        if name is not None and (not isinstance(name, str) or not name):
            raise InvalidParameter(f"{self.kind}: name must be a non-empty string, got {name!r}")
        self.name = name or self.kind
        self.active = False
        self.streak = 0
        self.last_fired: float | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, threshold={self.threshold})"

    # -- state -----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The state to persist."""
        return {"active": self.active, "streak": self.streak, "last_fired": self.last_fired}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state`."""
        self.active = bool(state.get("active", False))
        self.streak = int(state.get("streak", 0))
        lf = state.get("last_fired")
        self.last_fired = None if lf is None else float(lf)

    # -- evaluation ------------------------------------------------------------------
    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """The window's score (None: not applicable, state unchanged) and details."""
        raise NotImplementedError

    def _breaches(self, s: float) -> bool:
        if not self.higher_is_worse:
            return s < self.threshold
        return s >= self.threshold if self.inclusive else s > self.threshold

    def _clears(self, s: float) -> bool:
        if not self.higher_is_worse:
            return s >= self.clear
        # The mirror of _breaches: with clear at the threshold, every score that does not
        # breach clears.
        return s < self.clear if self.inclusive else s <= self.clear

    def evaluate(self, result: WindowResult, *, monitor: str, now: float) -> Trigger | None:
        """Update the state with one closed window; the trigger if one fires."""
        s, details = self.score(result)
        if s is None or math.isnan(s):
            return None
        if self.active:
            if self._clears(s):
                self.active = False
                self.streak = 0
            return None
        self.streak = self.streak + 1 if self._breaches(s) else 0
        if self.streak < self.consecutive:
            return None
        self.active = True
        if self.last_fired is not None and now - self.last_fired < self.cooldown:
            return None
        self.last_fired = now
        return self._trigger(result, monitor, now, s, details)

    def _trigger(
        self, result: WindowResult, monitor: str, now: float, s: float | None, details: Any
    ) -> Trigger:
        key = f"{monitor}\x00{result.window}\x00{self.name}"
        tid = "trg_" + hashlib.sha256(key.encode()).hexdigest()[:32]
        op = (">=" if self.inclusive else ">") if self.higher_is_worse else "<"
        reason = f"{self.name}: " + (
            "scheduled" if s is None else f"{s:.6g} {op} {self.threshold:g}"
        )
        if self.consecutive > 1:
            reason += f" for {self.consecutive} windows"
        return Trigger(tid, monitor, self.name, self.kind, result.window, now, s, reason, details)


class Drift(Policy):
    """Fires when at least ``features`` features drift (or ``share`` of them).

    ``method`` and ``threshold`` (per feature) are passed to :func:`driftline.compare` by
    the monitor. With ``features``, ``clear_features`` is the hysteresis bound: an active
    alert clears once at most that many features drift (default ``features - 1``). With
    ``share`` (a fraction in (0, 1]), it fires when at least that share drifts, and
    ``clear`` (in (0, share]) is the share strictly below which it clears: ``clear=0``
    is refused, since no share is below 0 and the alert could never clear.

    ``columns`` restricts the count to those features; a monitor refuses a name that is
    not one of its features (a typo would otherwise never fire).

    Examples
    --------
    >>> Drift(features=2, consecutive=3).threshold
    2.0
    >>> Drift(share=0.5, clear=0.25).clear
    0.25
    """

    kind = "drift"

    def __init__(
        self,
        *,
        features: int | None = None,
        share: float | None = None,
        clear_features: int | None = None,
        method: str | None = None,
        feature_threshold: float | None = None,
        columns: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        k = self.kind
        if isinstance(columns, str):
            raise InvalidParameter(f"{k}: columns takes a list of column names, got {columns!r}")
        self.method = method
        self.feature_threshold = feature_threshold
        self.columns = None if columns is None else list(columns)
        if self.columns is not None:
            if not self.columns:
                # No column to count: the policy could never fire.
                raise InvalidParameter(f"{k}: columns must name at least one column")
            bad = [c for c in self.columns if not isinstance(c, str)]
            if bad:
                raise InvalidParameter(f"{k}: columns must be column names, got {bad[0]!r}")
        if share is not None:
            # One count or one share: the other's bounds would be silently ignored.
            if features is not None or clear_features is not None:
                raise InvalidParameter(
                    f"{k}: share= counts a fraction of features; it takes clear= (a share), "
                    "not features= or clear_features="
                )
            self.share: float | None = _number(k, "share", share, low=0.0, low_open=True, high=1.0)
            clear = kwargs.get("clear")
            # Clearing is strictly below clear (as for features=), so clear=0 could never
            # clear: an alert raised once would stay active for ever.
            if clear is not None and _number(k, "clear", clear, low=0.0, high=1.0) == 0:
                raise InvalidParameter(
                    f"{k}: clear must be > 0: an alert clears once the share of drifted "
                    "features is below clear, and no share is below 0"
                )
            super().__init__(self.share, **kwargs)
            return
        if kwargs.get("clear") is not None:
            raise InvalidParameter(
                f"{k}: with features= the hysteresis bound is clear_features= (clears at or "
                "below that many drifted features), not clear="
            )
        kwargs.pop("clear", None)
        self.share = None
        count = _count(k, "features", 1 if features is None else features, low=1)
        if clear_features is None:
            clear = count - 1
        else:
            clear = _count(k, "clear_features", clear_features, low=0)
            if clear >= count:
                raise InvalidParameter(
                    f"{k}: clear_features must be below features ({count}), got {clear}"
                )
        # Scores are integers: clearing "below clear + 1" means "at most clear".
        super().__init__(count, clear=clear + 1, **kwargs)

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """Number (or share) of drifted features among ``columns``."""
        report = result.drift
        if report is None:
            return None, {}
        feats = [f for f in report.features if self.columns is None or f.column in self.columns]
        drifted = [f.column for f in feats if f.drifted]
        details = {
            "drifted": drifted,
            "statistics": {f.column: f.statistic for f in feats},
        }
        if self.share is not None:
            return (len(drifted) / len(feats) if feats else 0.0), details
        return float(len(drifted)), details


class Performance(Policy):
    """Fires when a model's ``metric`` gets worse than a bound.

    For metrics where higher is better (:data:`HIGHER_IS_BETTER`: accuracy, F1, ROC AUC,
    R2, ...): when it falls below ``floor``, or ``drop`` below ``baseline``. For errors and
    losses (:data:`LOWER_IS_BETTER`: MAE, RMSE, log loss, Brier, ECE, ...): when it rises
    above ``ceiling``, or ``drop`` above ``baseline`` (``drop`` is then how much worse).
    Other reported numbers (``mean_error``, ``base_rate``, ``mean_score``, counts) have no
    better direction: give either ``floor=`` or ``ceiling=``. A bound on the wrong side of
    a metric (a ``floor`` on MAE would fire while the model does well) is refused.

    Both bounds are strict: a value equal to ``floor`` or to ``ceiling`` does not fire
    (``ceiling=0`` on ``n_null`` fires on the first null, not on every window).

    Examples
    --------
    >>> Performance(metric="accuracy", baseline=0.9, drop=0.05).threshold
    0.85
    >>> Performance(metric="rmse", baseline=2.0, drop=0.5).threshold
    2.5
    """

    kind = "performance"
    higher_is_worse = False
    inclusive = False  # a ceiling fires strictly above it, as a floor strictly below

    def __init__(
        self,
        *,
        metric: str = "accuracy",
        floor: float | None = None,
        ceiling: float | None = None,
        baseline: float | None = None,
        drop: float | None = None,
        **kwargs: Any,
    ) -> None:
        k = self.kind
        if metric not in PERFORMANCE_METRICS:
            # An unknown name would record an error on every window and never fire.
            raise InvalidParameter(
                f"{k}: unknown metric {metric!r}; known: {', '.join(PERFORMANCE_METRICS)}"
            )
        if (baseline is None) != (drop is None):
            raise InvalidParameter(f"{k}: baseline= and drop= go together")
        if floor is None and ceiling is None and baseline is None:
            raise InvalidParameter(
                f"{k}: Performance needs floor= (or ceiling=), or baseline= and drop="
            )
        if metric in LOWER_IS_BETTER:
            lower = True
            if floor is not None:
                raise InvalidParameter(
                    f"{k}: {metric} is better when lower: bound it with ceiling=, not floor="
                )
        elif metric in HIGHER_IS_BETTER:
            lower = False
            if ceiling is not None:
                raise InvalidParameter(
                    f"{k}: {metric} is better when higher: bound it with floor=, not ceiling="
                )
        else:
            if baseline is not None or (floor is None) == (ceiling is None):
                raise InvalidParameter(
                    f"{k}: {metric} has no better direction: give exactly one of floor= "
                    "(fires below) or ceiling= (fires above)"
                )
            lower = ceiling is not None
        bounds = []
        if floor is not None:
            bounds.append(_number(k, "floor", floor))
        if ceiling is not None:
            bounds.append(_number(k, "ceiling", ceiling))
        if baseline is not None and drop is not None:
            base, by = _number(k, "baseline", baseline), _number(k, "drop", drop, low=0.0)
            bounds.append(base + by if lower else base - by)
        self.metric = metric
        # The strictest bound decides: the lowest ceiling, the highest floor.
        self.higher_is_worse = lower
        kwargs.setdefault("name", f"performance:{metric}")
        super().__init__(round(min(bounds) if lower else max(bounds), 12), **kwargs)

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """The metric on the window's labelled rows."""
        if result.performance is None:
            return None, {}
        v = getattr(result.performance, self.metric)
        return (None if v is None else float(v)), {"metric": self.metric, "value": v}


def fairness_metrics() -> tuple[str, ...]:
    """What :class:`Fairness` can watch: the aggregates of
    :class:`driftline.fairness.FairnessReport` (its properties, so the list cannot go
    stale)."""
    from driftline.fairness import FairnessReport

    return tuple(n for n, v in vars(FairnessReport).items() if isinstance(v, property))


class Fairness(Policy):
    """Fires when a fairness ``metric`` breaks its bound.

    ``minimum`` for ratios where low is bad (``disparate_impact`` >= 0.8 by the four-fifths
    rule; fires strictly below it), or ``maximum`` for differences where high is bad
    (``demographic_parity_difference`` <= 0.1; fires strictly above it). ``metric`` is one
    of :func:`fairness_metrics`. A bound on the wrong side is refused: a ``minimum`` on a
    difference (or the Theil index) would fire while the model is fair, a ``maximum`` on
    a ratio (``*_ratio``, ``disparate_impact``, ``passes_four_fifths``) would never fire.

    ``disparate_impact`` (a group's selection rate over the reference group's, the one
    farthest from 1) is above 1 when the reference group is the one selected less, so it is
    folded to ``min(v, 1 / v)`` before the bound is checked (``fold=False`` checks the
    raw value): ``minimum=0.8`` is the four-fifths rule whichever group is favoured. Folding
    goes with ``minimum=`` only (a folded value is at most 1, so ``fold=True`` with
    ``maximum=`` is refused).

    AIF360's signed differences (``statistical_parity_difference``,
    ``average_odds_difference``, ``average_predictive_value_difference``: a group's rate
    minus the reference group's) are negative when a group is disadvantaged against the
    reference, so ``maximum=`` bounds their absolute value: ``maximum=0.1`` fires on -0.3
    as on 0.3.

    Examples
    --------
    >>> Fairness(metric="disparate_impact", minimum=0.8, clear=0.85).clear
    0.85
    """

    kind = "fairness"
    inclusive = False  # a maximum fires strictly above it, as a minimum strictly below

    def __init__(
        self,
        *,
        metric: str = "disparate_impact",
        minimum: float | None = None,
        maximum: float | None = None,
        fold: bool | None = None,
        **kwargs: Any,
    ) -> None:
        k = self.kind
        known = fairness_metrics()
        if metric not in known:
            raise InvalidParameter(f"{k}: unknown metric {metric!r}; known: {', '.join(known)}")
        if (minimum is None) == (maximum is None):
            raise InvalidParameter(f"{k}: Fairness takes exactly one of minimum= or maximum=")
        if maximum is not None and metric == "disparate_impact":
            raise InvalidParameter(
                f"{k}: disparate_impact is bounded with minimum=, not maximum=: folded to "
                "min(v, 1 / v), minimum=0.8 fires whichever group is favoured"
            )
        if maximum is not None and metric in LOW_IS_UNFAIR:
            raise InvalidParameter(
                f"{k}: {metric} is less fair when lower: bound it with minimum=, not maximum="
            )
        if minimum is not None and metric in HIGH_IS_UNFAIR:
            raise InvalidParameter(
                f"{k}: {metric} is less fair when higher: bound it with maximum=, not minimum="
            )
        if maximum is not None and fold:
            raise InvalidParameter(
                f"{k}: fold=True folds values to at most 1, which a maximum= cannot bound"
            )
        bound = (
            _number(k, "maximum", maximum)
            if maximum is not None
            else _number(k, "minimum", minimum)
        )
        self.metric = metric
        self.fold = (metric == "disparate_impact") if fold is None else bool(fold)
        self.higher_is_worse = maximum is not None
        kwargs.setdefault("name", f"fairness:{metric}")
        super().__init__(bound, **kwargs)

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """The metric on the window (disparate impact folded to ``min(v, 1 / v)``)."""
        if result.fairness is None:
            return None, {}
        v = getattr(result.fairness, self.metric)
        details = {"metric": self.metric, "value": v}
        if v is None:
            return None, details
        s = float(v)
        # Disparate impact is each group's selection rate over the reference group's, the
        # one farthest from 1: above 1 when the reference group is the one selected less.
        # Folded, minimum=0.8 is the four-fifths rule whichever group is favoured (as
        # retraining.FairnessGate does).
        if self.fold and s > 1.0:
            s = 1.0 / s
            details["folded"] = s
        if self.metric in SIGNED_DIFFERENCES:
            s = abs(s)
        return s, details


class DataQuality(Policy):
    """Fires on data-quality findings: null-rate increases, unseen categories, values out of
    the reference's range. The score is the number of findings (``threshold`` 1).

    Examples
    --------
    >>> DataQuality(null_rate_increase=0.1).threshold
    1.0
    """

    kind = "data_quality"

    def __init__(
        self,
        *,
        null_rate_increase: float | None = 0.1,
        unseen_categories: bool = True,
        range_violations: float | None = 0.01,
        findings: int = 1,
        **kwargs: Any,
    ) -> None:
        k = self.kind
        self.null_rate_increase = (
            None
            if null_rate_increase is None
            else _number(k, "null_rate_increase", null_rate_increase, low=0.0, high=1.0)
        )
        self.unseen_categories = bool(unseen_categories)
        self.range_violations = (
            None
            if range_violations is None
            else _number(k, "range_violations", range_violations, low=0.0, high=1.0)
        )
        super().__init__(_count(k, "findings", findings, low=1), **kwargs)

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """Count the window's quality findings that this policy cares about."""
        found = []
        for f in result.quality:
            if f["check"] == "null_rate" and self.null_rate_increase is not None:
                if f["increase"] > self.null_rate_increase:
                    found.append(f)
            elif f["check"] == "unseen_categories" and self.unseen_categories:
                found.append(f)
            elif f["check"] == "out_of_range" and self.range_violations is not None:
                if f["share"] > self.range_violations:
                    found.append(f)
            elif f["check"] == "schema":
                found.append(f)
        return float(len(found)), {"findings": found}


class Schedule(Policy):
    """Fires every ``every`` (``"7d"``) regardless of the data, at the first window close
    after the period has elapsed since the last trigger (or since the first window).

    Examples
    --------
    >>> Schedule(every="7d").period
    604800.0
    """

    kind = "schedule"

    def __init__(self, *, every: float | str | timedelta, name: str | None = None) -> None:
        super().__init__(1.0, name=name)
        self.period = _duration(self.kind, "every", every)
        if self.period <= 0:
            raise InvalidParameter(f"{self.kind}: every must be a positive period, got {every!r}")

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """Unused: :meth:`evaluate` looks at the clock only."""
        return None, {}

    def evaluate(self, result: WindowResult, *, monitor: str, now: float) -> Trigger | None:
        """Fire when the period has elapsed."""
        if self.last_fired is None:
            self.last_fired = now
            return None
        if now - self.last_fired < self.period:
            return None
        self.last_fired = now
        return self._trigger(result, monitor, now, None, {"every_seconds": self.period})
