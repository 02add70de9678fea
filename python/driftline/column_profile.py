"""The profile of one column (:class:`ColumnProfile`, a read-only view of a
:class:`~driftline.Profile`) and its histograms."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from driftline.exceptions import InvalidParameter

__all__ = ["ColumnProfile", "Histogram"]


@dataclass(frozen=True)
class Histogram:
    """Counts per bin: ``len(edges) + 1`` bins, ``(-inf, e0), [e0, e1), ..., [e_last, +inf]``.

    ``exact`` is False when the counts were derived from the quantile sketch (each bin's
    mass is then within about 1.65% of the column's count).
    """

    edges: list[float]
    counts: list[float]
    exact: bool


class ColumnProfile:
    """The profile of one column (read-only view of a :class:`Profile`).

    ``count`` is the number of non-null values (NaN and infinities included); ``mean``,
    ``variance`` and ``std`` are over the finite values; ``min`` and ``max`` over every
    non-NaN value.
    """

    __slots__ = ("_native", "_stats")

    def __init__(self, native: Any, stats: dict[str, Any]) -> None:
        self._native = native
        self._stats = stats

    def __repr__(self) -> str:
        s = self._stats
        return (
            f"ColumnProfile({s['name']!r}, {s['kind']}, count={s['count']}, "
            f"nulls={s['null_count']}, distinct~{s['distinct']:.0f})"
        )

    @property
    def name(self) -> str:
        """Column name."""
        return str(self._stats["name"])

    @property
    def dtype(self) -> str:
        """Logical type (string layouts and dictionaries of strings are all ``string``)."""
        return str(self._stats["dtype"])

    @property
    def kind(self) -> str:
        """``numeric``, ``categorical``, ``boolean`` or ``null``."""
        return str(self._stats["kind"])

    @property
    def count(self) -> int:
        """Non-null values."""
        return int(self._stats["count"])

    @property
    def null_count(self) -> int:
        """Null values."""
        return int(self._stats["null_count"])

    @property
    def nan_count(self) -> int:
        """NaN values."""
        return int(self._stats["nan_count"])

    @property
    def pos_inf_count(self) -> int:
        """``+inf`` values."""
        return int(self._stats["pos_inf_count"])

    @property
    def neg_inf_count(self) -> int:
        """``-inf`` values."""
        return int(self._stats["neg_inf_count"])

    @property
    def null_rate(self) -> float:
        """Nulls over rows (0 for an empty column)."""
        rows = self.count + self.null_count
        return self.null_count / rows if rows else 0.0

    @property
    def min(self) -> float | None:
        """Smallest non-NaN value (numeric and boolean columns)."""
        v = self._stats["min"]
        return None if v is None else float(v)

    @property
    def max(self) -> float | None:
        """Largest non-NaN value."""
        v = self._stats["max"]
        return None if v is None else float(v)

    @property
    def mean(self) -> float | None:
        """Mean of the finite values; None without any."""
        v = self._stats["mean"]
        return None if v is None else float(v)

    def var(self, ddof: int = 0) -> float | None:
        """Variance of the finite values with ``ddof`` delta degrees of freedom."""
        n = int(self._stats["finite_count"])
        if self._stats["mean"] is None or n <= ddof:
            return None
        return float(self._stats["m2"]) / (n - ddof)

    @property
    def variance(self) -> float | None:
        """Population variance (``ddof=0``, numpy's default)."""
        return self.var(0)

    @property
    def std(self) -> float | None:
        """Population standard deviation (``ddof=0``)."""
        v = self.var(0)
        return None if v is None else math.sqrt(v)

    def quantile(self, q: float | Sequence[float]) -> Any:
        """Approximate quantile(s) from the KLL sketch (rank error ``quantile_rank_error``).

        Examples
        --------
        >>> import pyarrow as pa, driftline as dl
        >>> p = dl.profile(pa.table({"x": list(range(101))}))
        >>> p["x"].quantile(0.5)
        50.0

        Raises
        ------
        InvalidParameter
            A ``q`` outside [0, 1] (or NaN), naming the column.
        """
        if isinstance(q, numbers.Real):
            return self._native.quantiles(self.name, [self._fraction(q)])[0]
        if isinstance(q, str | bytes) or not isinstance(q, Iterable):
            raise InvalidParameter(
                f"column '{self.name}': quantile q={q!r} is neither a number nor a sequence of them"
            )
        return self._native.quantiles(self.name, [self._fraction(x) for x in q])

    def _fraction(self, q: Any) -> float:
        """``q`` as a float in [0, 1], or an error naming the column (as numpy refuses such
        a ``q``, rather than clamping it to the minimum or maximum)."""
        try:
            x = float(q)
        except (TypeError, ValueError):
            raise InvalidParameter(
                f"column '{self.name}': quantile q={q!r} is not a number"
            ) from None
        if not 0.0 <= x <= 1.0:
            raise InvalidParameter(f"column '{self.name}': quantile q={q!r} is not in [0, 1]")
        return x

    @property
    def quantile_rank_error(self) -> float | None:
        """Normalised rank error bound of :meth:`quantile` (99% confidence)."""
        v = self._stats["quantile_rank_error"]
        return None if v is None else float(v)

    def rank(self, x: float) -> float | None:
        """Approximate fraction of values ``<= x``."""
        return self._native.rank(self.name, float(x))  # type: ignore[no-any-return]

    def distinct(self) -> int:
        """Number of distinct non-null values: exact for categorical columns below the
        frequency cap, a HyperLogLog estimate otherwise (``distinct_error`` relative)."""
        return int(self._stats["distinct"])

    @property
    def distinct_error(self) -> float:
        """Relative standard error of :meth:`distinct` when it is an estimate."""
        return float(self._stats["distinct_error"])

    def frequencies(self) -> dict[str, int] | None:
        """Category counts, most frequent first; None for numeric columns.

        A binary value is named injectively: valid UTF-8 as it is, except that a backslash
        is written ``\\\\``, and every other byte ``\\xNN`` (``b"\\xff\\xfe"`` is
        ``"\\\\xff\\\\xfe"``), so distinct byte strings are distinct categories.
        """
        f = self._native.frequencies(self.name)
        return None if f is None else dict(f)

    @property
    def frequencies_exact(self) -> bool:
        """True while category counts are exact (below the cap)."""
        return bool(self._stats.get("frequencies_exact", True))

    def histogram(self, bins: int = 10) -> Histogram | None:
        """The exact histogram when edges were given, else an approximate one on ``bins``
        quantile bins from the sketch; None for non-numeric columns.

        The bins are those of :class:`Histogram`: a value equal to an edge is counted in
        the bin that edge opens, as ``numpy.histogram`` counts it, and the last bin is
        closed on the right. An approximate bin's count is within the sketch's rank error
        (about 1.65% of the column's count at ``k = 200``) of the exact one.

        Examples
        --------
        >>> import pyarrow as pa, driftline as dl
        >>> dl.profile(pa.table({"x": [1.0, 2.0, 2.0, 3.0]}))["x"].histogram(2)
        Histogram(edges=[2.0], counts=[1.0, 3.0], exact=False)

        Raises
        ------
        InvalidParameter
            ``bins`` not an integer of at least 1, naming the column.
        """
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
            raise InvalidParameter(
                f"column '{self.name}': histogram bins must be an integer >= 1, got {bins!r}"
            )
        if "histogram_edges" in self._stats:
            return Histogram(
                list(self._stats["histogram_edges"]),
                [float(c) for c in self._stats["histogram_counts"]],
                True,
            )
        if self._stats["quantile_rank_error"] is None:
            return None
        edges = self._native.quantile_edges(self.name, int(bins))
        n = self.count - self.nan_count
        # A bin [e_i, e_{i+1}) holds the values below e_{i+1} but not below e_i. rank()
        # counts the values <= x, so the values below an edge are those <= the float just
        # under it (on discrete data, "<= e" would put every value equal to e one bin low).
        below = [
            n * (self._native.rank(self.name, math.nextafter(e, -math.inf)) or 0.0) for e in edges
        ]
        cum = [0.0, *below, float(n)]
        counts = [max(cum[i + 1] - cum[i], 0.0) for i in range(len(cum) - 1)]
        return Histogram(list(edges), counts, False)

    def to_dict(self) -> dict[str, Any]:
        """Scalars of the profile as a JSON-ready dict.

        Strict JSON (RFC 8259) has no infinity or NaN, so every non-finite number in it (a
        ``min`` or ``max`` of ``-inf`` / ``inf``, an infinite quantile) is ``None`` (JSON
        ``null``), as in every result driftline serialises; ``pos_inf_count`` and
        ``neg_inf_count`` say which infinities the column holds, and
        :meth:`~driftline.Profile.to_arrow` keeps the values themselves.

        Examples
        --------
        >>> import pyarrow as pa, driftline as dl
        >>> d = dl.profile(pa.table({"x": [1.0, float("inf")]}))["x"].to_dict()
        >>> d["max"], d["pos_inf_count"], d["quantiles"]["0.99"]
        (None, 1, None)
        """
        d: dict[str, Any] = {
            k: self._stats[k]
            for k in (
                "name",
                "dtype",
                "kind",
                "count",
                "null_count",
                "nan_count",
                "pos_inf_count",
                "neg_inf_count",
                "min",
                "max",
                "mean",
            )
        }
        d["std"] = self.std
        d["distinct"] = self.distinct()
        if self._stats["quantile_rank_error"] is not None and self.count > self.nan_count:
            qs = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
            d["quantiles"] = dict(zip([str(q) for q in qs], self.quantile(qs), strict=True))
        f = self.frequencies()
        if f is not None:
            d["frequencies"] = dict(list(f.items())[:50])
            d["frequencies_exact"] = self.frequencies_exact
        h = self.histogram() if "histogram_edges" in self._stats else None
        if h is not None:
            d["histogram"] = {"edges": h.edges, "counts": h.counts}
        return _finite_or_none(d)  # type: ignore[no-any-return]


def _finite_or_none(value: Any) -> Any:
    """``value`` with every non-finite float, however deeply nested, replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value
