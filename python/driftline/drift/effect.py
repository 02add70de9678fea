"""Minimum effect sizes: practical significance.

With a million rows, a test finds a 0.01-standard-deviation shift "significant" even
though no model cares. By default a column is flagged only when its test is significant
(after the correction across columns) *and* its effect size reaches a minimum:

========================  ==================================================  =======
column kind               effect size                                         minimum
========================  ==================================================  =======
numeric                   Wasserstein-1 distance / reference standard         0.1
                          deviation (how far, in reference sds, mass moved)
categorical, boolean      total variation distance (share of rows that        0.02
                          changed category)
missing values            absolute change of the null (and NaN) rate          0.02
========================  ==================================================  =======

The Wasserstein distance runs over the finite range of both sides, infinite values
counted at its ends (so a share moved to ``+-inf`` keeps its gap in the CDFs, in exact
and profile modes alike); when the finite values are a single point on both sides and
mass moved to or from infinity, the effect is infinite.

Both numbers are reported whether or not a column is flagged. Override them per column
with ``compare(..., min_effect={"amount": 0.05})`` or for all columns with a float.

Examples
--------
>>> from driftline.drift.effect import min_effect_for
>>> min_effect_for("amount", "numeric", None), min_effect_for("city", "categorical", 0.1)
(0.1, 0.1)
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_MIN_EFFECT", "EFFECT_NAMES", "NULL_RATE_MIN_EFFECT", "min_effect_for"]

DEFAULT_MIN_EFFECT: dict[str, float] = {
    "numeric": 0.1,
    "categorical": 0.02,
    "boolean": 0.02,
}
"""Default minimum effect size per column kind."""

EFFECT_NAMES: dict[str, str] = {
    "numeric": "wasserstein_norm",
    "categorical": "total_variation",
    "boolean": "total_variation",
}
"""Which effect size is reported per column kind."""

NULL_RATE_MIN_EFFECT = 0.02
"""Minimum absolute change of the missing-value rate that counts as drift."""


def min_effect_for(column: str, kind: str, min_effect: float | Mapping[str, float] | None) -> float:
    """The minimum effect size for one column.

    Parameters
    ----------
    column
        Column name.
    kind
        ``numeric``, ``categorical`` or ``boolean``.
    min_effect
        None (defaults), one float for every column, or a mapping column -> float
        (columns not in it keep the default). ``0`` turns practical significance off.
    """
    if isinstance(min_effect, Mapping):
        if column in min_effect:
            return _check(min_effect[column], column)
    elif min_effect is not None:
        return _check(min_effect, column)
    return DEFAULT_MIN_EFFECT.get(kind, 0.0)


def _check(value: float, column: str) -> float:
    v = float(value)
    if not v >= 0:
        raise ValueError(f"min_effect for column {column!r} must be >= 0, not {value!r}")
    return v
