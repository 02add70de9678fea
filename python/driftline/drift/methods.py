"""Drift methods: what each computes, the default per column, per-column overrides.

Two families of methods:

*tests* (``ks``, ``chi2``) give a p-value; a column is flagged when the p-value, adjusted
across columns (:mod:`driftline.drift.correction`), is under ``alpha`` **and** the effect
size reaches its minimum (:mod:`driftline.drift.effect`);

*distances* (``psi``, ``wasserstein``, ``jensen_shannon``, ``hellinger``,
``total_variation``, ``kl`` and functions registered with ``dl.stats.register``) have no
p-value; a column is flagged when the distance reaches its threshold.

Defaults (what ``methods=None`` picks):

==================  ============================  =====================================
column kind         data at hand                  method
==================  ============================  =====================================
numeric             both sides raw (exact mode)   ``ks``: exact KS test (exact p-value
                                                  up to 10,000 values, else ``kstwo``)
numeric             a profile on either side      ``chi2`` on the reference's quantile
                    with exact bins on both       bins (exact counts: a valid test)
numeric             two sketches only             ``ks`` from the KLL sketches; the
                                                  p-value is taken at ``D`` minus the
                                                  sketches' rank-error bound
                                                  (conservative); scipy's exact p-value
                                                  when both kept every value
categorical, bool   any                           ``chi2`` on the 2 x k table of counts,
                                                  categories expected < 5 times pooled
==================  ============================  =====================================

Distances are computed on counts: the reference's quantile bins for numeric columns
(``bins``, 10 by default; where ties or infinities merge quantiles, two more edges part the
reference's finite range from the values below and above it), the categories for the
others. ``kl`` adds 0.5 to every count
(Jeffreys smoothing) so that an empty bin does not make it infinite.
"""

from __future__ import annotations

from collections.abc import Mapping

from driftline.exceptions import InvalidParameter

__all__ = [
    "DISTANCE_THRESHOLDS",
    "METHODS",
    "TESTS",
    "default_method",
    "is_test",
    "resolve_method",
]

TESTS = ("ks", "chi2")
"""Methods with a p-value."""

DISTANCE_THRESHOLDS: dict[str, float] = {
    "psi": 0.2,
    "wasserstein": 0.1,
    "jensen_shannon": 0.1,
    "hellinger": 0.1,
    "total_variation": 0.1,
    "kl": 0.1,
}
"""Default threshold of each built-in distance (flagged when ``statistic >= threshold``).

PSI 0.2 is the industry's "significant shift" (0.1 "moderate"); ``wasserstein`` is
normalised by the reference's standard deviation."""

METHODS = (*TESTS, *DISTANCE_THRESHOLDS)
"""Built-in methods."""

_NUMERIC_ONLY = ("ks", "wasserstein")


def is_test(method: str) -> bool:
    """True for methods with a p-value."""
    return method in TESTS


def default_method(kind: str, mode: str, exact_bins: bool) -> str:
    """The default method for a column.

    Parameters
    ----------
    kind
        ``numeric``, ``categorical`` or ``boolean``.
    mode
        ``exact`` (raw data on both sides), ``binned`` or ``sketch``.
    exact_bins
        Whether both sides have exact counts on the reference's bins.
    """
    if kind != "numeric":
        return "chi2"
    if mode == "exact":
        return "ks"
    return "chi2" if exact_bins else "ks"


def resolve_method(
    column: str,
    kind: str,
    mode: str,
    exact_bins: bool,
    methods: str | Mapping[str, str] | None,
    registered: Mapping[str, object],
) -> str:
    """The method for one column given the user's ``methods`` argument.

    ``methods`` is None (defaults), one method name for every column it applies to, or a
    mapping column -> method (columns not in it keep the default). A numeric-only method
    named for a categorical column raises :class:`~driftline.exceptions.InvalidParameter`
    when given per column, and falls back to the default when given for all columns.
    """
    chosen: str | None
    per_column = isinstance(methods, Mapping)
    chosen = methods.get(column) if isinstance(methods, Mapping) else methods
    if chosen is None:
        return default_method(kind, mode, exact_bins)
    if chosen not in METHODS and chosen not in registered:
        known = ", ".join([*METHODS, *registered])
        raise InvalidParameter(
            f"unknown drift method {chosen!r} for column {column!r}; known: {known}"
        )
    if chosen in _NUMERIC_ONLY and kind != "numeric":
        if per_column:
            raise InvalidParameter(
                f"method {chosen!r} needs a numeric column; {column!r} is {kind}"
            )
        return default_method(kind, mode, exact_bins)
    return chosen
