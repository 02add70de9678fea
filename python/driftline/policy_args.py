"""The arguments of policies: durations, the metrics a Performance policy can watch and
which way each gets worse, and the checks that turn a bad argument into an
:class:`~driftline.exceptions.InvalidParameter` naming it (at construction, not at every
window)."""

from __future__ import annotations

import math
import numbers
from datetime import timedelta
from typing import Any

from driftline.exceptions import InvalidParameter

__all__ = [
    "HIGHER_IS_BETTER",
    "HIGH_IS_UNFAIR",
    "LOWER_IS_BETTER",
    "LOW_IS_UNFAIR",
    "NO_DIRECTION",
    "PERFORMANCE_METRICS",
    "SIGNED_DIFFERENCES",
    "count",
    "duration",
    "number",
    "parse_duration",
]


def parse_duration(value: float | int | str | timedelta | None) -> float:
    """Seconds from ``30``, ``"90s"``, ``"15m"``, ``"1h"``, ``"7d"``, ``"2w"`` or a timedelta.

    A number is seconds (any real number, numpy's included, finite and >= 0); a bool is
    refused with :class:`TypeError` rather than read as 0 or 1 second.

    Examples
    --------
    >>> parse_duration("1h"), parse_duration("7d"), parse_duration(None)
    (3600.0, 604800.0, 0.0)
    """
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    # bool is an int: True would silently be one second.
    if isinstance(value, bool):
        raise TypeError(f"a duration is a number of seconds or a string, not {value!r}")
    # numbers.Real: numpy scalars (a period read from an array) are numbers too.
    if isinstance(value, numbers.Real):
        seconds = float(value)
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f"a duration must be finite and >= 0, got {value!r}")
        return seconds
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


def number(
    kind: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """``value`` as a finite float within the bounds, or InvalidParameter naming it.

    NaN compares false with every bound, so a NaN threshold would silently never breach:
    finiteness is checked first.
    """
    # numbers.Real: numpy scalars (a baseline read from an array) are numbers too.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameter(f"{kind}: {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise InvalidParameter(f"{kind}: {name} must be finite, got {value!r}")
    if low is not None and (v <= low if low_open else v < low):
        raise InvalidParameter(
            f"{kind}: {name} must be {'>' if low_open else '>='} {low:g}, got {value!r}"
        )
    if high is not None and v > high:
        raise InvalidParameter(f"{kind}: {name} must be <= {high:g}, got {value!r}")
    return v


def count(kind: str, name: str, value: Any, *, low: int) -> int:
    """``value`` as an int >= ``low`` (not a bool or a float), or InvalidParameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InvalidParameter(f"{kind}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def duration(kind: str, name: str, value: Any) -> float:
    try:
        return parse_duration(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameter(f"{kind}: {name}: {exc}") from None


#: Metrics where a larger value is a better model: :class:`Performance` watches them with
#: ``floor=`` (or ``baseline=`` minus ``drop=``).
HIGHER_IS_BETTER = frozenset(
    {
        *("accuracy", "precision", "recall", "f1", "specificity", "roc_auc", "auc_approx"),
        *("precision_macro", "recall_macro", "f1_macro"),
        *("precision_weighted", "recall_weighted", "f1_weighted"),
        *("roc_auc_ovr_macro", "roc_auc_ovr_weighted", "r2"),
    }
)
#: Errors and losses, where a larger value is a worse model: watched with ``ceiling=``
#: (or ``baseline=`` plus ``drop=``).
LOWER_IS_BETTER = frozenset(
    {"log_loss", "brier", "ece", "mae", "mse", "rmse", "mape", "smape", "fpr", "n_null", "fp", "fn"}
)
#: Reported numbers with no better direction: watched with ``floor=`` or ``ceiling=``.
NO_DIRECTION = frozenset(
    {"base_rate", "selection_rate", "mean_score", "mean_error", "n", "tp", "tn"}
)
#: What :class:`Performance` can watch: the metrics :func:`driftline.performance` reports
#: for binary, multiclass and regression tasks (``PerformanceReport`` attributes).
PERFORMANCE_METRICS = tuple(sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER | NO_DIRECTION))

_REGRESSION_ONLY = frozenset({"mae", "mse", "rmse", "mape", "smape", "r2", "mean_error"})
_BINARY_ONLY = frozenset(
    {
        *("precision", "recall", "f1", "specificity", "fpr", "base_rate", "selection_rate"),
        *("auc_approx", "brier", "ece", "mean_score", "tp", "fp", "tn", "fn"),
    }
)
_MULTICLASS_ONLY = frozenset(
    {
        *("precision_macro", "recall_macro", "f1_macro"),
        *("precision_weighted", "recall_weighted", "f1_weighted"),
    }
)
#: Fairness aggregates where a larger value is less fair (gaps between groups, the Theil
#: index): :class:`~driftline.policies.Fairness` bounds them with ``maximum=`` only.
HIGH_IS_UNFAIR = frozenset(
    {
        *("demographic_parity_difference", "equalized_odds_difference"),
        *("equal_opportunity_difference", "statistical_parity_difference"),
        *("average_odds_difference", "average_predictive_value_difference", "theil_index"),
    }
)
#: AIF360's signed differences (a group's rate minus the reference group's, the one
#: farthest from 0): a negative value is as unfair as a positive one, so a ``maximum=``
#: bounds their absolute value.
SIGNED_DIFFERENCES = frozenset(
    {
        *("statistical_parity_difference", "average_odds_difference"),
        "average_predictive_value_difference",
    }
)
#: Fairness aggregates where a smaller value is less fair (ratios of groups' rates, the
#: four-fifths verdict): bounded with ``minimum=`` only.
LOW_IS_UNFAIR = frozenset(
    {
        *("demographic_parity_ratio", "equalized_odds_ratio", "equal_opportunity_ratio"),
        *("disparate_impact", "passes_four_fifths"),
    }
)

#: Metrics a task's performance report never holds: a Performance policy on one of them
#: would record an error at every window and never fire. (Metrics that need a score
#: column are not listed: whether a window has scores is known only then.)
NOT_REPORTED = {
    "binary": _REGRESSION_ONLY | _MULTICLASS_ONLY | {"roc_auc_ovr_macro", "roc_auc_ovr_weighted"},
    "multiclass": _REGRESSION_ONLY | _BINARY_ONLY | {"roc_auc"},
    "regression": _BINARY_ONLY
    | _MULTICLASS_ONLY
    | {"accuracy", "roc_auc", "log_loss", "roc_auc_ovr_macro", "roc_auc_ovr_weighted"},
}
