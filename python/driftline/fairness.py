"""Bias (fairness) metrics: per-group rates and the between-group aggregates regulators
recognise, computed by the Rust core in one pass over Arrow data.

Definitions
-----------
fairlearn's, over the eligible groups (at least ``min_group_size`` rows and the rate
defined): difference = max - min, ratio = min / max, for demographic parity (selection
rate), equal opportunity (true positive rate) and equalized odds (the larger of the TPR and
FPR differences; ratio: the smaller of the two ratios).

AIF360's, against the reference (privileged) group: statistical parity difference
``P(yhat=1 | group) - P(yhat=1 | reference)``, disparate impact (their ratio), average odds
difference, average predictive value difference, per group in ``by_group`` and, as the
attribute, the value farthest from parity; the Theil index (generalized entropy index,
alpha = 1, over ``b = yhat - y + 1``) over all rows.

``passes_four_fifths`` is the US EEOC rule: every eligible group's selection rate is at
least 4/5 of the highest one (``demographic_parity_ratio >= 0.8``).

Undefined values are ``None`` with a reason (``report.reason(name)``; per group, the
``notes`` column), never a division by zero. Rows with a null label or prediction are left
out and counted in ``n_null``; a null sensitive value is a group of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from driftline import _native
from driftline._options import python_value, unique_columns
from driftline._plain import plain_rows, plain_value
from driftline.performance import to_arrow

# Signed AIF360 differences against the reference group: worse the larger their magnitude.
_SIGNED = frozenset(
    {
        "statistical_parity_difference",
        "average_odds_difference",
        "average_predictive_value_difference",
        "mean_residual_gap",
    }
)

__all__ = ["FairnessReport", "fairness"]

_AGGREGATES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "statistical_parity_difference",
    "disparate_impact",
    "average_odds_difference",
    "average_predictive_value_difference",
    "theil_index",
)


class FairnessReport:
    """Per-group rates and fairness aggregates.

    Attributes
    ----------
    by_group : polars.DataFrame
        A row per group (per intersection of the sensitive columns): count, n_null,
        small_group, is_reference, base_rate, selection_rate, tpr, fpr, tnr, fnr,
        precision, npv, accuracy, f1, mean_score (with a score), the AIF360 comparisons
        with the reference group, and notes explaining undefined values. Regression:
        count, n_null, small_group, mae, rmse, mean_residual (label - prediction).
    reference_group : tuple or None
        The reference (privileged) group used by the AIF360 metrics.
    small_groups : list of tuple
        Groups with fewer than ``min_group_size`` rows, left out of the aggregates.
    segments : polars.DataFrame or None
        With ``segment_by``: a row per segment with its aggregates.

    Examples
    --------
    >>> import driftline as dl
    >>> data = {"y": [1, 0, 1, 0], "p": [1, 0, 0, 0], "g": ["a", "a", "b", "b"]}
    >>> f = dl.fairness(data, prediction="p", label="y", sensitive=["g"], min_group_size=1)
    >>> f.demographic_parity_difference, f.equal_opportunity_difference
    (0.5, 1.0)
    """

    __slots__ = (
        "_aggregates",
        "_reasons",
        "by_group",
        "reference_group",
        "segments",
        "small_groups",
        "task",
    )

    def __init__(self, out: dict[str, Any], task: str) -> None:
        self._aggregates: dict[str, float | None] = out["aggregates"]
        self._reasons: dict[str, str] = out["reasons"]
        self.by_group: pl.DataFrame = pl.from_arrow(out["by_group"])  # type: ignore[assignment]
        self.reference_group: tuple[Any, ...] | None = out["reference_group"]
        self.small_groups: list[tuple[Any, ...]] = out["small_groups"]
        seg = out["segments"]
        self.segments: pl.DataFrame | None = (
            None if seg is None else pl.from_arrow(seg)  # type: ignore[assignment]
        )
        self.task = task

    def _get(self, name: str) -> float | None:
        return self._aggregates.get(name)

    def reason(self, name: str) -> str | None:
        """Why the aggregate ``name`` is undefined (None when it is defined)."""
        return self._reasons.get(name)

    @property
    def demographic_parity_difference(self) -> float | None:
        """max - min of the selection rate over groups (fairlearn)."""
        return self._get("demographic_parity_difference")

    @property
    def demographic_parity_ratio(self) -> float | None:
        """min / max of the selection rate over groups (fairlearn)."""
        return self._get("demographic_parity_ratio")

    @property
    def equalized_odds_difference(self) -> float | None:
        """The larger of the TPR and FPR differences (fairlearn)."""
        return self._get("equalized_odds_difference")

    @property
    def equalized_odds_ratio(self) -> float | None:
        """The smaller of the TPR and FPR ratios (fairlearn)."""
        return self._get("equalized_odds_ratio")

    @property
    def equal_opportunity_difference(self) -> float | None:
        """max - min of the TPR over groups (fairlearn)."""
        return self._get("equal_opportunity_difference")

    @property
    def equal_opportunity_ratio(self) -> float | None:
        """min / max of the TPR over groups (fairlearn)."""
        return self._get("equal_opportunity_ratio")

    @property
    def statistical_parity_difference(self) -> float | None:
        """AIF360: selection rate of a group minus the reference's, farthest from 0."""
        return self._get("statistical_parity_difference")

    @property
    def disparate_impact(self) -> float | None:
        """AIF360: selection rate of a group over the reference's, farthest from 1."""
        return self._get("disparate_impact")

    @property
    def average_odds_difference(self) -> float | None:
        """AIF360: mean of the FPR and TPR differences with the reference, farthest from 0."""
        return self._get("average_odds_difference")

    @property
    def average_predictive_value_difference(self) -> float | None:
        """AIF360: mean of the PPV and NPV differences with the reference, farthest from 0."""
        return self._get("average_predictive_value_difference")

    @property
    def theil_index(self) -> float | None:
        """Generalized entropy index (alpha = 1) of b = yhat - y + 1 over all rows."""
        return self._get("theil_index")

    @property
    def passes_four_fifths(self) -> bool | None:
        """Every group's selection rate is at least 4/5 of the highest (EEOC rule)."""
        v = self._get("passes_four_fifths")
        return None if v is None else bool(v)

    def worst_segments(
        self, metric: str = "demographic_parity_difference", n: int = 10
    ) -> pl.DataFrame:
        """The ``n`` segments least fair by ``metric`` (a column of :attr:`segments`),
        undefined values last: the largest fairlearn differences, gaps and Theil index;
        the smallest ratios (``*_ratio``, min / max); the largest magnitude of the signed
        AIF360 differences; the disparate impact furthest from 1 (``min(DI, 1 / DI)``
        smallest); segments failing the four-fifths rule first.

        Raises ``ValueError`` without segments or for an unknown metric.
        """
        if self.segments is None:
            raise ValueError("no segments: pass segment_by= to fairness()")
        if metric not in self.segments.columns or metric in ("n_groups", *self._keys()):
            names = [c for c in self.segments.columns if c != "n_groups" and c not in self._keys()]
            raise ValueError(f"no segment metric {metric!r}; available: {', '.join(names)}")
        col = pl.col(metric)
        if metric == "passes_four_fifths":
            key, descending = col.cast(pl.Int8), False
        elif metric == "disparate_impact":
            key, descending = pl.min_horizontal(col, 1.0 / col).fill_nan(None), False
        elif metric.endswith("_ratio"):
            key, descending = col.fill_nan(None), False
        elif metric in _SIGNED:
            key, descending = col.abs().fill_nan(None), True
        else:
            key, descending = col.fill_nan(None), True
        order = "__driftline_worst_key"
        return (
            self.segments.with_columns(key.alias(order))
            .sort(order, descending=descending, nulls_last=True)
            .drop(order)
            .head(n)
        )

    def _keys(self) -> list[str]:
        # The segment key columns come first, before n_groups.
        assert self.segments is not None
        cols = self.segments.columns
        return cols[: cols.index("n_groups")] if "n_groups" in cols else cols[:1]

    def __getattr__(self, name: str) -> float | None:
        # Regression gaps (mae_gap, rmse_gap, mean_residual_gap, mae_ratio).
        aggregates = object.__getattribute__(self, "_aggregates")
        if name in aggregates:
            return aggregates[name]  # type: ignore[no-any-return]
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        """Aggregates, reasons, reference group and the per-group rows as plain values (a
        temporal group value as its ISO 8601 text)."""
        aggregates = dict(self._aggregates)
        if "passes_four_fifths" in aggregates:
            aggregates["passes_four_fifths"] = self.passes_four_fifths
        return {
            "task": self.task,
            **aggregates,
            "undefined": dict(self._reasons),
            "reference_group": None
            if self.reference_group is None
            else self._plain_group(self.reference_group),
            "small_groups": [self._plain_group(g) for g in self.small_groups],
            "by_group": plain_rows(self.by_group),
        }

    def _plain_group(self, group: tuple[Any, ...]) -> list[Any]:
        # A group's values as the by_group rows give them (the sensitive columns come
        # first there, typed).
        names = self.by_group.columns
        keys = names[: names.index("count")] if "count" in names else []
        types = [self.by_group.schema[c] for c in keys]
        return [plain_value(v, types[i] if i < len(types) else None) for i, v in enumerate(group)]

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        return (
            f"FairnessReport(groups={self.by_group.height}, "
            f"demographic_parity_difference={self.demographic_parity_difference}, "
            f"equalized_odds_difference={self.equalized_odds_difference})"
        )


def fairness(
    data: Any,
    *,
    prediction: str,
    label: str | None = None,
    sensitive: str | Sequence[str],
    score: str | None = None,
    positive: bool | int | float | str = 1,
    reference_group: Any = None,
    min_group_size: int = 30,
    segment_by: str | Sequence[str] | None = None,
    task: Literal["binary", "regression"] | None = None,
) -> FairnessReport:
    """Fairness of a model's predictions across the groups of sensitive columns.

    Parameters
    ----------
    data
        A pyarrow Table or RecordBatch, a polars or pandas DataFrame, a dict of arrays, or
        any object with ``__arrow_c_stream__``.
    prediction
        The predicted class (binary) or value (regression).
    label
        The true class or value; without it only selection rates (demographic parity,
        disparate impact) and mean scores are computed.
    sensitive
        Column name(s) (string, integer, boolean, temporal or dictionary-encoded; the
        group columns of ``by_group`` keep the input's type, even without rows); with
        several, the groups are their intersections. A float column is refused: bin it
        first; a column named twice is refused too.
    score
        Optional probability column: its mean per group.
    positive
        The positive (favourable) value of the label and the prediction.
    reference_group
        The privileged group of the AIF360 metrics: a value, or a tuple with several
        sensitive columns (a date, datetime or time, or its ISO 8601 text, for a
        temporal column). Default: the largest eligible group.
    min_group_size
        Groups with fewer complete rows are flagged (``small_group``) and left out of the
        aggregates.
    segment_by
        Column name(s): the aggregates are also computed per segment (``.segments``).
    task
        ``"binary"`` or ``"regression"``; default: regression when the prediction column
        is floating point, binary otherwise.

    Returns
    -------
    FairnessReport

    Notes
    -----
    The aggregates equal fairlearn's wherever every group's rate is defined. Where it is
    not, driftline explains instead of guessing: a group whose rate is undefined (no
    positive labels for the TPR, no negative ones for the FPR) is left out of that rate's
    difference and ratio, with a note in its ``notes`` column, where fairlearn counts the
    rate as 0 (scikit-learn's ``zero_division``) and so reports such a group as the
    least favoured; and with fewer than two groups of defined rate the aggregate is an
    explained null (``reason``), where fairlearn reports no disparity (difference 0,
    ratio 1). A ratio whose largest rate is 0 (0 / 0) is an explained null too, where
    fairlearn gives NaN or, in the equalized odds ratio, skips that rate.
    """
    table = to_arrow(data)
    args = native_args(
        table,
        prediction=prediction,
        label=label,
        sensitive=sensitive,
        score=score,
        positive=positive,
        reference_group=reference_group,
        min_group_size=min_group_size,
        segment_by=segment_by,
        task=task,
    )
    out = _native.fairness(table, **args)
    return FairnessReport(out, args["task"])


def native_args(
    table: pa.Table,
    *,
    prediction: str,
    label: str | None,
    sensitive: str | Sequence[str],
    score: str | None,
    positive: bool | int | float | str,
    reference_group: Any,
    min_group_size: int,
    segment_by: str | Sequence[str] | None,
    task: str | None,
) -> dict[str, Any]:
    """Checks :func:`fairness`'s options and returns the native keyword arguments (the
    task inferred from ``table``'s schema when not given)."""
    if isinstance(sensitive, str):
        sensitive = [sensitive]
    sensitive = unique_columns("sensitive", sensitive)
    if not sensitive:
        raise ValueError("sensitive: name at least one column")
    if min_group_size < 0:
        raise ValueError("min_group_size must be >= 0")
    if task is None:
        names = table.schema.names
        floating = prediction in names and pa.types.is_floating(table.schema.field(prediction).type)
        task = "regression" if floating else "binary"
    if task not in ("binary", "regression"):
        raise ValueError(f"task must be 'binary' or 'regression', got {task!r}")
    segments = (
        [segment_by]
        if isinstance(segment_by, str)
        else unique_columns("segment_by", segment_by or [])
    )
    return {
        "prediction": prediction,
        "label": label,
        "sensitive": sensitive,
        "score": score,
        # NumPy scalars (scikit-learn's classes_, a group read from a frame) as Python values.
        "positive": python_value(positive),
        "reference_group": python_value(reference_group),
        "min_group_size": min_group_size,
        "task": task,
        "segment_by": segments,
    }
