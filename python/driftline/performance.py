"""Model performance: metrics over labelled data, overall and per segment, and estimated
performance of unlabeled data (confidence-based performance estimation).

Null policy: a row whose label or prediction is null is left out of every metric and
counted in ``n_null``; a null score leaves the row out of the score metrics only. NaN in a
label, prediction or score raises :class:`~driftline.exceptions.DataError`, as does a
score outside [0, 1] (scores are probabilities of the positive class) and an infinite
regression label or prediction (scikit-learn refuses them too). Finite regression values
whose errors overflow the double range give infinite metrics, or ``None`` with a reason
(R2, the mean error) where no number is left; never NaN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from driftline import _native
from driftline._arrow import to_table
from driftline._options import python_value, unique_columns
from driftline.exceptions import DataError

__all__ = [
    "PerformanceEstimate",
    "PerformanceReport",
    "estimate_performance",
    "performance",
    "roc_auc",
]

Task = Literal["binary", "multiclass", "regression"]

_COUNTS = frozenset({"n", "n_null", "tp", "fp", "tn", "fn"})

# Metrics where a lower value is better; every other metric is better when higher.
_LOWER_IS_BETTER = frozenset(
    {"mae", "mse", "rmse", "mape", "smape", "log_loss", "brier", "ece", "fpr", "n_null"}
)


def to_arrow(data: Any) -> pa.Table:
    """Normalises tabular input to a ``pyarrow.Table`` without a Python loop over rows.

    Reads what ``dl.profile`` reads: pandas DataFrames (their index left out), polars
    DataFrames and LazyFrames (collected), a dict of arrays, record batches and readers,
    and anything with ``__arrow_c_stream__`` (DuckDB ...), imported through the Arrow C
    stream interface, zero-copy.
    """
    return to_table(data)


def _segment_list(segment_by: str | Sequence[str] | None) -> list[str]:
    if segment_by is None:
        return []
    if isinstance(segment_by, str):
        return [segment_by]
    return unique_columns("segment_by", segment_by)


class PerformanceReport:
    """Performance metrics of a model on labelled data.

    Every metric is an attribute (``report.accuracy``, ``report.roc_auc`` ...); an
    undefined one is ``None`` and :meth:`reason` says why. Binary: ``n``, ``n_null``,
    ``tp``, ``fp``, ``tn``, ``fn``, ``accuracy``, ``precision``, ``recall``, ``f1``,
    ``specificity``, ``fpr``, ``base_rate``, ``selection_rate``, and with a score
    ``roc_auc`` (exact), ``auc_approx`` (mergeable, from score histograms),
    ``auc_approx_error_bound``, ``log_loss``, ``brier``, ``ece``, ``mean_score``.
    Multiclass: ``accuracy``, ``precision_macro``, ``recall_macro``, ``f1_macro``,
    ``precision_weighted``, ``recall_weighted``, ``f1_weighted`` and ``classes``; with a
    score column per class, ``log_loss``, ``roc_auc_ovr_macro``, ``roc_auc_ovr_weighted``
    and ``roc_auc_ovr_error_bound`` (0 when exact).

    ``auc_mode`` says how ROC AUC was computed: ``"exact"`` (one pass over the scores, as
    :func:`performance`), ``"histogram"`` (from mergeable partials' score histograms, as
    :meth:`PerformancePartial.report`: ``roc_auc`` is then ``auc_approx``, within
    ``auc_approx_error_bound`` of the exact value, and a binary segment table has each
    segment's bound in ``roc_auc_error_bound``), or None without scores.
    Regression: ``mae``, ``mse``, ``rmse``, ``mape``, ``smape``, ``r2``, ``mean_error``.

    Examples
    --------
    >>> import driftline as dl
    >>> r = dl.performance({"y": [0, 1, 1, 0], "p": [0, 1, 0, 0]}, prediction="p", label="y")
    >>> r.accuracy, r.recall
    (0.75, 0.5)
    """

    __slots__ = ("_metrics", "_reasons", "auc_mode", "classes", "segments", "task")

    task: str
    classes: list[Any]
    segments: pl.DataFrame | None
    auc_mode: str | None
    _metrics: dict[str, float | None]
    _reasons: dict[str, str]

    def __init__(
        self,
        task: str,
        metrics: dict[str, float | None],
        reasons: dict[str, str],
        classes: list[Any],
        segments: pl.DataFrame | None,
        auc_mode: str | None = None,
    ) -> None:
        object.__setattr__(self, "task", task)
        object.__setattr__(self, "auc_mode", auc_mode)
        # Counts come from the core as floats; they are integers (CBPE's are not).
        metrics = {k: int(v) if k in _COUNTS and v is not None else v for k, v in metrics.items()}
        object.__setattr__(self, "_metrics", metrics)
        object.__setattr__(self, "_reasons", reasons)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "segments", segments)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PerformanceReport is immutable")

    def __getattr__(self, name: str) -> float | None:
        metrics = object.__getattribute__(self, "_metrics")
        if name in metrics:
            return metrics[name]  # type: ignore[no-any-return]
        raise AttributeError(f"no metric {name!r}; available: {', '.join(metrics)}")

    def reason(self, metric: str) -> str | None:
        """Why ``metric`` is undefined (None when it is defined)."""
        return self._reasons.get(metric)

    def to_dict(self) -> dict[str, Any]:
        """Metrics (and reasons for the undefined ones) as plain Python values."""
        out: dict[str, Any] = {"task": self.task, **self._metrics}
        if self.auc_mode is not None:
            out["auc_mode"] = self.auc_mode
        if self.classes:
            out["classes"] = list(self.classes)
        if self._reasons:
            out["undefined"] = dict(self._reasons)
        return out

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict())

    def worst(self, metric: str, n: int = 10) -> pl.DataFrame:
        """The ``n`` segments with the worst ``metric`` (undefined values last).

        Errors (mae, rmse, log_loss ...) are worst when largest, scores (accuracy, f1,
        roc_auc, r2 ...) when smallest, and the mean error when farthest from 0.
        """
        if self.segments is None:
            raise ValueError("no segments: pass segment_by= to performance()")
        if metric not in self.segments.columns:
            raise ValueError(
                f"no segment metric {metric!r}; available: {', '.join(self.segments.columns)}"
            )
        col = pl.col(metric)
        if metric == "mean_error":
            return self.segments.sort(col.abs(), descending=True, nulls_last=True).head(n)
        descending = metric in _LOWER_IS_BETTER
        return self.segments.sort(col, descending=descending, nulls_last=True).head(n)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in list(self._metrics.items())[:8]
        )
        return f"PerformanceReport(task={self.task!r}, {shown})"


Score = str | Sequence[str] | Mapping[Any, str] | None


def native_args(
    *,
    prediction: str,
    label: str,
    score: Score,
    task: str,
    segment_by: str | Sequence[str] | None,
    positive: bool | int | float | str,
) -> dict[str, Any]:
    """Checks :func:`performance`'s options and returns the native keyword arguments."""
    if task not in ("binary", "multiclass", "regression"):
        raise ValueError(f"task must be 'binary', 'multiclass' or 'regression', got {task!r}")
    single: str | None = None
    class_scores: list[tuple[Any, str]] = []
    if isinstance(score, str) or score is None:
        single = score
        if single is not None and task == "multiclass":
            raise ValueError(
                "multiclass: score= takes a column per class, a list (class i is column i) "
                "or a dict {class: column}"
            )
    elif isinstance(score, Mapping):
        # Classes as Python values: scikit-learn's classes_ are NumPy scalars.
        class_scores = [(python_value(k), str(v)) for k, v in score.items()]
    else:
        class_scores = [(i, str(c)) for i, c in enumerate(score)]
    if class_scores and task != "multiclass":
        raise ValueError(f"a score column per class needs task='multiclass', got {task!r}")
    return {
        "prediction": prediction,
        "label": label,
        "score": single,
        "class_scores": class_scores,
        "task": task,
        "positive": python_value(positive),
        "segment_by": _segment_list(segment_by),
    }


def report_from_native(task: str, out: dict[str, Any]) -> PerformanceReport:
    """A :class:`PerformanceReport` from the native result dict."""
    segments = out["segments"]
    return PerformanceReport(
        task,
        out["metrics"],
        out["reasons"],
        out["classes"],
        None if segments is None else pl.from_arrow(segments),  # type: ignore[arg-type]
        out.get("auc_mode"),
    )


def performance(
    data: Any,
    *,
    prediction: str,
    label: str,
    score: Score = None,
    task: Task = "binary",
    segment_by: str | Sequence[str] | None = None,
    positive: bool | int | float | str = 1,
) -> PerformanceReport:
    """Performance metrics of a model, in one parallel pass over Arrow data.

    Parameters
    ----------
    data
        A pyarrow Table or RecordBatch, a polars or pandas DataFrame, a dict of arrays, or
        any object with ``__arrow_c_stream__``.
    prediction, label
        Column names of the predicted and true values (any type for classification:
        int, bool, string, dictionary; numeric for regression).
    score
        Binary: the column with the probability of the positive class, for ROC AUC, log
        loss, Brier score and calibration error. Multiclass: a column per class with the
        probability of that class, for one-vs-rest ROC AUC (macro and weighted) and log
        loss, as a list (column ``i`` is class ``i``: integer labels ``0..k-1``, the
        order of scikit-learn's ``predict_proba``) or a dict ``{class: column}`` for any
        labels. A row needs every score for the score metrics.
    task
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    segment_by
        Column name(s): compute everything per segment as well (``.segments``, a polars
        table with a row per segment; ``.worst(metric)``). Segment columns are string,
        integer, boolean, temporal (a row per day, hour, ...) or dictionary-encoded; a float
        column is refused, as is a column named twice. The key columns keep the input's
        type (strings come back as ``string``), even without rows. Its columns: the segment keys,
        ``n`` and ``n_null``; binary: ``accuracy``, ``precision``, ``recall``, ``f1``,
        ``base_rate``, ``selection_rate`` and with a score ``roc_auc``, ``log_loss``,
        ``brier``, ``mean_score``; multiclass: ``accuracy``, ``precision_macro``,
        ``recall_macro``, ``f1_macro``, ``f1_weighted`` and with scores ``log_loss``,
        ``roc_auc_ovr_macro``, ``roc_auc_ovr_weighted``; regression: ``mae``, ``rmse``,
        ``mape``, ``smape``, ``r2``, ``mean_error``.
    positive
        Binary only: the positive value of the label and the prediction (a NumPy scalar,
        such as a scikit-learn ``classes_`` value, is accepted).

    Returns
    -------
    PerformanceReport

    Examples
    --------
    >>> import driftline as dl
    >>> data = {"y": [0, 0, 1, 1], "s": [0.1, 0.4, 0.35, 0.8], "p": [0, 0, 0, 1]}
    >>> dl.performance(data, prediction="p", label="y", score="s").roc_auc
    0.75
    """
    args = native_args(
        prediction=prediction,
        label=label,
        score=score,
        task=task,
        segment_by=segment_by,
        positive=positive,
    )
    return report_from_native(task, _native.performance(to_arrow(data), **args))


def roc_auc(y_true: Any, y_score: Any, *, positive: bool | int | float | str = 1) -> float:
    """Exact ROC AUC, equal to scikit-learn's ``roc_auc_score`` (ties included).

    ``y_true`` and ``y_score`` are arrays of one length (numpy, pyarrow, polars Series,
    lists); scores may be any real numbers (only their order matters); NaN is an error.
    Arrays of different lengths, or that pyarrow cannot read, raise
    :class:`~driftline.exceptions.DataError` naming both arguments. The scores are placed
    by value bucket in one parallel counting sort, then each bucket is sorted in cache, so
    time is about linear and memory O(n).

    Examples
    --------
    >>> from driftline.performance import roc_auc
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    lengths = (_length(y_true), _length(y_score))
    if None not in lengths and lengths[0] != lengths[1]:
        raise DataError(
            f"y_true and y_score must have the same length; got {lengths[0]} and {lengths[1]}"
        )
    try:
        # Named after the arguments, so that the core's errors name them.
        table = pa.table({"y_true": y_true, "y_score": y_score})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise DataError(f"y_true, y_score: cannot read as arrays: {e}") from e
    return float(
        _native.roc_auc(table, label="y_true", score="y_score", positive=python_value(positive))
    )


def _length(values: Any) -> int | None:
    """``len(values)``, or None for an object without a length (pyarrow then decides)."""
    try:
        return len(values)
    except TypeError:
        return None


class PerformanceEstimate:
    """Estimated metrics of unlabeled data (confidence-based performance estimation).

    Attributes ``n``, ``accuracy``, ``precision``, ``recall``, ``f1``, ``roc_auc`` and the
    expected confusion counts ``tp``, ``fp``, ``tn``, ``fn``; undefined ones are ``None``.
    """

    __slots__ = ("_metrics", "_reasons")

    _metrics: dict[str, float | None]
    _reasons: dict[str, str]

    def __init__(self, metrics: dict[str, float | None], reasons: dict[str, str]) -> None:
        self._metrics = metrics
        self._reasons = reasons

    def __getattr__(self, name: str) -> float | None:
        metrics = object.__getattribute__(self, "_metrics")
        if name in metrics:
            return metrics[name]  # type: ignore[no-any-return]
        raise AttributeError(f"no estimate {name!r}; available: {', '.join(metrics)}")

    def to_dict(self) -> dict[str, Any]:
        """Estimates as plain Python values."""
        out: dict[str, Any] = dict(self._metrics)
        if self._reasons:
            out["undefined"] = dict(self._reasons)
        return out

    def __repr__(self) -> str:
        return f"PerformanceEstimate({self._metrics})"


def estimate_performance(
    reference: Any,
    current: Any,
    *,
    prediction: str,
    label: str,
    score: str,
    positive: bool | int | float | str = 1,
    calibration: Literal["isotonic", "histogram"] = "isotonic",
) -> PerformanceEstimate:
    """Estimates a binary classifier's performance on unlabeled data (CBPE, as NannyML).

    The scores are calibrated on ``reference`` (which has labels), then the expected
    confusion counts of ``current`` follow from the calibrated probabilities and the
    predictions: accuracy, precision, recall, F1 and ROC AUC without a label. It assumes
    no concept drift (P(label | score) unchanged).

    Parameters
    ----------
    reference
        Labelled data with ``label`` and ``score``.
    current
        Data with ``prediction`` and ``score`` (its labels, if any, are not read).
    calibration
        ``"isotonic"`` (default) or ``"histogram"`` binning.

    Examples
    --------
    >>> import driftline as dl
    >>> ref = {"y": [0, 0, 1, 1], "s": [0.1, 0.3, 0.6, 0.9], "p": [0, 0, 1, 1]}
    >>> dl.estimate_performance(ref, ref, prediction="p", label="y", score="s").accuracy
    1.0
    """
    out = _native.estimate_performance(
        to_arrow(reference),
        to_arrow(current),
        prediction=prediction,
        label=label,
        score=score,
        positive=python_value(positive),
        method=calibration,
    )
    return PerformanceEstimate(out["metrics"], out["reasons"])
