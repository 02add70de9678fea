"""Policies: when a closed window should fire a trigger.

Every policy turns a window into a score and keeps a small state machine:

- it *breaches* when the score crosses ``threshold`` (above it for "high is bad" scores,
  below it for "low is bad" ones) for ``consecutive`` windows in a row;
- an active alert *clears* only once the score is back past ``clear`` (hysteresis: a
  score hovering at the threshold does not flap);
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

if TYPE_CHECKING:
    from driftline.monitor.monitor import WindowResult

__all__ = [
    "DataQuality",
    "Drift",
    "Fairness",
    "Performance",
    "Policy",
    "Schedule",
    "Trigger",
    "parse_duration",
]


def parse_duration(value: float | int | str | timedelta | None) -> float:
    """Seconds from ``30``, ``"90s"``, ``"15m"``, ``"1h"``, ``"7d"``, ``"2w"`` or a timedelta.

    Examples
    --------
    >>> parse_duration("1h"), parse_duration("7d"), parse_duration(None)
    (3600.0, 604800.0, 0.0)
    """
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            raise ValueError(f"a duration must be finite and >= 0, got {value}")
        return float(value)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = str(value).strip().lower()
    if not text or text[-1] not in units:
        raise ValueError(f"a duration looks like '30s', '15m', '1h', '7d' or '2w', got {value!r}")
    try:
        n = float(text[:-1])
    except ValueError as exc:
        raise ValueError(f"bad duration {value!r}") from exc
    if n < 0 or not math.isfinite(n):
        raise ValueError(f"a duration must be finite and >= 0, got {value!r}")
    return n * units[text[-1]]


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

    def __init__(
        self,
        threshold: float,
        *,
        clear: float | None = None,
        consecutive: int = 1,
        cooldown: float | str | timedelta | None = None,
        name: str | None = None,
    ) -> None:
        if consecutive < 1:
            raise ValueError("consecutive must be >= 1")
        self.threshold = float(threshold)
        self.clear = self.threshold if clear is None else float(clear)
        worse = self.clear > self.threshold if self.higher_is_worse else self.clear < self.threshold
        if worse:
            side = "at or below" if self.higher_is_worse else "at or above"
            raise ValueError(f"{self.kind}: clear must be {side} the threshold")
        self.consecutive = consecutive
        self.cooldown = parse_duration(cooldown)
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
        return s >= self.threshold if self.higher_is_worse else s < self.threshold

    def _clears(self, s: float) -> bool:
        return s < self.clear if self.higher_is_worse else s >= self.clear

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
        op = ">=" if self.higher_is_worse else "<"
        reason = f"{self.name}: " + (
            "scheduled" if s is None else f"{s:.6g} {op} {self.threshold:g}"
        )
        if self.consecutive > 1:
            reason += f" for {self.consecutive} windows"
        return Trigger(tid, monitor, self.name, self.kind, result.window, now, s, reason, details)


class Drift(Policy):
    """Fires when at least ``features`` features drift (or ``share`` of them).

    ``method`` and ``threshold`` (per feature) are passed to :func:`driftline.compare` by
    the monitor; ``clear_features`` is the hysteresis bound (default ``features - 1``).

    Examples
    --------
    >>> Drift(features=2, consecutive=3).threshold
    2.0
    """

    kind = "drift"

    def __init__(
        self,
        *,
        features: int = 1,
        share: float | None = None,
        clear_features: int | None = None,
        method: str | None = None,
        feature_threshold: float | None = None,
        columns: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.share = share
        self.method = method
        self.feature_threshold = feature_threshold
        self.columns = None if columns is None else list(columns)
        if share is not None:
            super().__init__(share, clear=kwargs.pop("clear", None), **kwargs)
        else:
            clear = features - 1 if clear_features is None else clear_features
            # Scores are integers: clearing "below clear + 1" means "at most clear".
            super().__init__(features, clear=clear + 1, **kwargs)

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
    """Fires when ``metric`` falls below ``floor``, or ``drop`` below ``baseline``.

    Examples
    --------
    >>> Performance(metric="accuracy", baseline=0.9, drop=0.05).threshold
    0.85
    """

    kind = "performance"
    higher_is_worse = False

    def __init__(
        self,
        *,
        metric: str = "accuracy",
        floor: float | None = None,
        baseline: float | None = None,
        drop: float | None = None,
        **kwargs: Any,
    ) -> None:
        if floor is None and (baseline is None or drop is None):
            raise ValueError("Performance needs floor=, or baseline= and drop=")
        bound = floor if floor is not None else float(baseline) - float(drop)  # type: ignore[arg-type]
        if floor is not None and baseline is not None and drop is not None:
            bound = max(floor, baseline - drop)
        self.metric = metric
        kwargs.setdefault("name", f"performance:{metric}")
        super().__init__(round(bound, 12), **kwargs)

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """The metric on the window's labelled rows."""
        if result.performance is None:
            return None, {}
        v = getattr(result.performance, self.metric)
        return (None if v is None else float(v)), {"metric": self.metric, "value": v}


class Fairness(Policy):
    """Fires when a fairness ``metric`` breaks its bound.

    ``minimum`` for ratios where low is bad (``disparate_impact`` >= 0.8 by the four-fifths
    rule), or ``maximum`` for differences where high is bad (``demographic_parity_difference``
    <= 0.1).

    Examples
    --------
    >>> Fairness(metric="disparate_impact", minimum=0.8, clear=0.85).clear
    0.85
    """

    kind = "fairness"

    def __init__(
        self,
        *,
        metric: str = "disparate_impact",
        minimum: float | None = None,
        maximum: float | None = None,
        **kwargs: Any,
    ) -> None:
        if (minimum is None) == (maximum is None):
            raise ValueError("Fairness takes exactly one of minimum= or maximum=")
        self.metric = metric
        self.higher_is_worse = maximum is not None
        kwargs.setdefault("name", f"fairness:{metric}")
        super().__init__(maximum if maximum is not None else minimum, **kwargs)  # type: ignore[arg-type]

    def score(self, result: WindowResult) -> tuple[float | None, dict[str, Any]]:
        """The metric on the window."""
        if result.fairness is None:
            return None, {}
        v = getattr(result.fairness, self.metric)
        return (None if v is None else float(v)), {"metric": self.metric, "value": v}


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
        self.null_rate_increase = null_rate_increase
        self.unseen_categories = unseen_categories
        self.range_violations = range_violations
        super().__init__(findings, **kwargs)

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
        self.period = parse_duration(every)
        if self.period <= 0:
            raise ValueError("Schedule needs a positive period")

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
