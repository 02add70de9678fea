"""The result of :func:`driftline.compare`: :class:`DriftReport` and :class:`FeatureDrift`."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from driftline.drift.classifier import DomainClassifierResult
    from driftline.drift.segments import SegmentResults

__all__ = ["SEGMENT_RANKS", "DriftReport", "FeatureDrift", "SchemaChange"]

SEGMENT_RANKS = (
    "share_drifted",
    "drifted_count",
    "worst_effect_size",
    "worst_statistic",
    "worst_p_value",
)
"""What :meth:`DriftReport.worst_segments` ranks by."""


def _clean(v: Any) -> Any:
    # JSON has no NaN or infinity: a missing statistic is null, never a silent NaN.
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    return v


@dataclass(frozen=True)
class FeatureDrift:
    """Drift of one column.

    Attributes
    ----------
    column, kind
        Column name and kind (``numeric``, ``categorical``, ``boolean``, ``null``).
    method
        The method that decided (see :mod:`driftline.drift.methods`).
    statistic, p_value
        The method's statistic and, for tests, its raw p-value (None for distances, and
        for columns that could not be compared).
    threshold
        ``alpha`` for tests (compared with ``p_value_adjusted``), the distance threshold
        otherwise.
    drifted
        The verdict for this column.
    effect_size, effect_name, min_effect
        Practical significance: the effect size (Wasserstein / reference sd for numeric
        columns, total variation for the others) and the minimum it must reach.
    p_value_adjusted
        The p-value after the correction across columns.
    null_rate_reference, null_rate_current, null_rate_change
        Missing-value rates (nulls, and NaN for floats) and their difference.
    unseen_categories, vanished_categories
        Categories present only in the current data / only in the reference (by name,
        most frequent first, at most 50 each).
    reason
        One sentence explaining the verdict.
    error_bound
        Bound on the statistic's error when it comes from sketches (None when exact).
    histogram
        What the HTML report plots: ``labels`` and the reference / current proportions.
    """

    column: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float | None
    drifted: bool
    effect_size: float | None = None
    effect_name: str | None = None
    min_effect: float | None = None
    p_value_adjusted: float | None = None
    null_rate_reference: float = 0.0
    null_rate_current: float = 0.0
    null_rate_change: float = 0.0
    null_rate_drifted: bool = False
    unseen_categories: list[str] = field(default_factory=list)
    vanished_categories: list[str] = field(default_factory=list)
    reason: str = ""
    error_bound: float | None = None
    dtype_reference: str | None = None
    dtype_current: str | None = None
    histogram: dict[str, Any] | None = field(default=None, repr=False)

    def to_dict(self, *, histogram: bool = True) -> dict[str, Any]:
        """A JSON-ready dict (non-finite numbers become None)."""
        d = asdict(self)
        if not histogram:
            d.pop("histogram")
        return _clean(d)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SchemaChange:
    """A column missing from the current data, added to it, or of another type."""

    column: str
    change: str  # "missing" | "added" | "retyped"
    reference_type: str | None
    current_type: str | None
    comparable: bool

    def to_dict(self) -> dict[str, Any]:
        """A plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class DriftReport:
    """Drift between a reference and current data, column by column, with a verdict.

    ``drifted`` is True when the (optionally importance-weighted) share of drifted
    columns reaches ``drift_share`` (by default: any drifted column, which the correction
    across columns makes a family-wise decision at level ``alpha``), or when a reference
    column is missing from the current data or changed to an incomparable type.
    """

    features: list[FeatureDrift]
    schema_changes: list[SchemaChange]
    share_drifted: float
    drifted: bool
    mode: str
    alpha: float
    correction: str
    drift_share: float | None
    reference_rows: int
    current_rows: int
    multivariate: DomainClassifierResult | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    segment_by: str | None = None
    segment_results: SegmentResults | None = field(default=None, compare=False, repr=False)
    segment_inputs: tuple[Any, Any, dict[str, Any]] | None = field(
        default=None, compare=False, repr=False
    )

    # -- segments ---------------------------------------------------------------
    def _segmented(self) -> SegmentResults:
        if self.segment_results is None:
            raise ValueError("this report has no segments: compare with segment_by=...")
        return self.segment_results

    @property
    def segments(self) -> pl.DataFrame:
        """A row per segment (``compare(..., segment_by=...)``): ``segment``, ``status``
        (``compared``, ``reference_only``, ``current_only``), row counts, ``features``,
        ``drifted_count``, ``share_drifted``, ``drifted`` and the worst feature
        (``worst_feature``, ``worst_method``, ``worst_statistic``, ``worst_p_value``
        adjusted, ``worst_effect_size``): the drifted one with the largest effect size
        relative to its minimum, else the largest effect.

        Examples
        --------
        >>> import numpy as np, driftline as dl
        >>> rng = np.random.default_rng(0)
        >>> ref = {"k": np.repeat(["a", "b"], 500), "x": rng.normal(size=1000)}
        >>> cur = {"k": np.repeat(["a", "b"], 500),
        ...        "x": np.r_[rng.normal(size=500), rng.normal(2, 1, 500)]}
        >>> r = dl.compare(ref, cur, segment_by="k")
        >>> r.segments.select("segment", "drifted").rows()
        [('a', False), ('b', True)]
        """
        return self._segmented().table

    @property
    def segment_features(self) -> pl.DataFrame:
        """A row per (segment, column) compared: method, statistic, p-values, effect
        size, verdict and null rates."""
        return self._segmented().features

    def worst_segments(self, n: int = 10, by: str = "share_drifted") -> pl.DataFrame:
        """The ``n`` segments ranked worst by ``by`` (``share_drifted``,
        ``drifted_count``, ``worst_effect_size``, ``worst_statistic``: highest first;
        ``worst_p_value``: lowest first); ties broken by the worst effect size, segments
        not compared last."""
        import polars as pl

        table = self._segmented().table
        if by not in SEGMENT_RANKS:
            raise ValueError(f"by must be one of {SEGMENT_RANKS}, not {by!r}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, not {n!r}")
        return table.sort(
            [pl.col(by), pl.col("worst_effect_size"), pl.col("segment")],
            descending=[by != "worst_p_value", True, False],
            nulls_last=True,
        ).head(n)

    def segment(self, key: str) -> DriftReport:
        """The full report of one segment (with histograms), compared as the segments
        table did: profile against profile."""
        from driftline.drift.compare import compare

        self._segmented()
        assert self.segment_inputs is not None
        ref, cur, kwargs = self.segment_inputs
        if key not in ref.segments or key not in cur.segments:
            raise KeyError(key)
        return compare(ref.segments[key], cur.segments[key], **kwargs)

    def __getitem__(self, column: str) -> FeatureDrift:
        for f in self.features:
            if f.column == column:
                return f
        raise KeyError(column)

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the drifted columns."""
        return [f.column for f in self.features if f.drifted]

    def __repr__(self) -> str:
        return (
            f"DriftReport(drifted={self.drifted}, share_drifted={self.share_drifted:.3f}, "
            f"columns={len(self.features)}, drifted_columns={self.drifted_columns!r}, "
            f"mode={self.mode!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        return _clean(
            {
                "drifted": self.drifted,
                "share_drifted": self.share_drifted,
                "drifted_columns": self.drifted_columns,
                "mode": self.mode,
                "alpha": self.alpha,
                "correction": self.correction,
                "drift_share": self.drift_share,
                "reference_rows": self.reference_rows,
                "current_rows": self.current_rows,
                "schema_changes": [s.to_dict() for s in self.schema_changes],
                "features": [f.to_dict() for f in self.features],
                "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
                "settings": self.settings,
                **(
                    {}
                    if self.segment_results is None
                    else {
                        "segment_by": self.segment_by,
                        "segments": self.segment_results.table.to_dicts(),
                    }
                ),
            }
        )

    def to_json(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> str:
        """The report as JSON (written to ``path`` too when given)."""
        text = json.dumps(self.to_dict(), allow_nan=False, **kwargs)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return text

    def to_polars(self) -> pl.DataFrame:
        """A row per column: verdict, method, statistic, p-values, effect, null rates."""
        import polars as pl

        cols = [
            "column",
            "kind",
            "method",
            "statistic",
            "p_value",
            "p_value_adjusted",
            "threshold",
            "effect_size",
            "effect_name",
            "min_effect",
            "drifted",
            "null_rate_reference",
            "null_rate_current",
            "null_rate_change",
            "reason",
        ]
        rows = [f.to_dict(histogram=False) for f in self.features]
        schema = {
            "column": pl.String,
            "kind": pl.String,
            "method": pl.String,
            "statistic": pl.Float64,
            "p_value": pl.Float64,
            "p_value_adjusted": pl.Float64,
            "threshold": pl.Float64,
            "effect_size": pl.Float64,
            "effect_name": pl.String,
            "min_effect": pl.Float64,
            "drifted": pl.Boolean,
            "null_rate_reference": pl.Float64,
            "null_rate_current": pl.Float64,
            "null_rate_change": pl.Float64,
            "reason": pl.String,
        }
        return pl.DataFrame({c: [r[c] for r in rows] for c in cols}, schema=schema)

    def summary(self, *, print_table: bool = True) -> Any:
        """A rich table of the columns and the verdict (printed unless told not to)."""
        from driftline.report.console import summary_table

        return summary_table(self, print_table=print_table)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """One self-contained HTML file (plotly embedded, works offline); returns the
        HTML and writes it to ``path`` when given."""
        from driftline.report.html import render_html

        html = render_html(self)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(html)
        return html
