"""Mergeable fairness and performance partials: compute on parts of the data, ship as
bytes, merge, report.

A partial holds the accumulators of :func:`driftline.fairness` or
:func:`driftline.performance` for some rows: per group (or segment) confusion counts and
exact float sums (scores, Brier and log-loss terms, residuals), calibration bins, and
score histograms. Merging adds them, matching groups, segments and classes by value, so
the report of merged partials equals the one-pass report exactly, for any split of the
rows and any merge order, with one exception: ROC AUC. The exact AUC needs every score;
a partial keeps score histograms (8,192 bins) instead, and its report gives the
approximate AUC with ``auc_mode == "histogram"`` and ``auc_approx_error_bound`` (half the
share of positive-negative pairs sharing a bin).

Bytes are versioned and checksummed (``DLPERF`` / ``DLFAIR`` + format version + body +
xxh3): bytes from another format version, truncated or corrupted bytes raise
:class:`~driftline.exceptions.DecodeError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, Self

from driftline import _native
from driftline.fairness import FairnessReport
from driftline.fairness import native_args as fairness_args
from driftline.performance import PerformanceReport, Score, report_from_native, to_arrow
from driftline.performance import native_args as performance_args

__all__ = [
    "FairnessPartial",
    "PerformancePartial",
    "fairness_partial",
    "performance_partial",
]


class _Partial:
    """What both partials share: the native accumulators, their task, bytes and merges.
    A subclass names its native type and adds its report."""

    __slots__ = ("_inner", "task")
    #: The native class (``_native.PerformancePartial`` or ``_native.FairnessPartial``).
    _native_type: Any

    def __init__(self, inner: Any, task: str) -> None:
        self._inner = inner
        self.task = task

    def to_bytes(self) -> bytes:
        """The partial as versioned, checksummed bytes (``DLPERF`` or ``DLFAIR`` format)."""
        return bytes(self._inner.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Reads bytes written by :meth:`to_bytes`.

        Raises
        ------
        DecodeError
            Bytes of another kind or format version, truncated or corrupted.
        """
        inner = cls._native_type.from_bytes(data)
        return cls(inner, str(inner.task))

    def merge(self, other: Self) -> Self:
        """The partial of both sets of rows (counts and sums add; groups, segments and
        classes matched by value).

        Raises
        ------
        InvalidParameter
            Partials of different evaluations (columns, task, positive, groups, segments).
        """
        if not isinstance(other, type(self)):
            raise TypeError(f"can only merge a {type(self).__name__}, got {type(other).__name__}")
        return type(self)(self._inner.merge(other._inner), self.task)

    @classmethod
    def merge_all(cls, partials: Iterable[Self | bytes]) -> Self | None:
        """Merges many partials (objects or bytes) in one native call, in order; None
        when there is none."""
        items = list(partials)
        if not items:
            return None
        blobs = [bytes(p) for p in items if isinstance(p, bytes | bytearray | memoryview)]
        if len(blobs) == len(items):
            merged = cls._native_type.merge_bytes(blobs)
        else:
            objs = [p if isinstance(p, cls) else cls.from_bytes(p) for p in items]  # type: ignore[arg-type]
            merged = cls._native_type.merge_all([p._inner for p in objs])
        return None if merged is None else cls(merged, str(merged.task))


class PerformancePartial(_Partial):
    """The mergeable accumulators of :func:`driftline.performance` over some rows.

    Examples
    --------
    >>> import driftline as dl
    >>> a = dl.performance_partial({"y": [0, 1], "p": [0, 1]}, prediction="p", label="y")
    >>> b = dl.performance_partial({"y": [1, 0], "p": [0, 0]}, prediction="p", label="y")
    >>> merged = a.merge(dl.PerformancePartial.from_bytes(b.to_bytes()))
    >>> merged.report().accuracy
    0.75
    """

    __slots__ = ()
    _native_type = _native.PerformancePartial

    def report(self) -> PerformanceReport:
        """The :class:`~driftline.performance.PerformanceReport` of the rows merged so far
        (ROC AUC from the score histograms: ``auc_mode == "histogram"``)."""
        return report_from_native(self.task, self._inner.report())

    def __repr__(self) -> str:
        return f"PerformancePartial(task={self.task!r}, segments={self._inner.n_keys})"


class FairnessPartial(_Partial):
    """The mergeable accumulators of :func:`driftline.fairness` over some rows.

    Examples
    --------
    >>> import driftline as dl
    >>> kw = dict(prediction="p", label="y", sensitive="g", min_group_size=1)
    >>> a = dl.fairness_partial({"y": [1, 0], "p": [1, 0], "g": ["a", "a"]}, **kw)
    >>> b = dl.fairness_partial({"y": [1, 0], "p": [0, 0], "g": ["b", "b"]}, **kw)
    >>> a.merge(b).report().demographic_parity_difference
    0.5
    """

    __slots__ = ()
    _native_type = _native.FairnessPartial

    def report(self) -> FairnessReport:
        """The :class:`~driftline.fairness.FairnessReport` of the rows merged so far,
        equal to :func:`driftline.fairness` on them."""
        return FairnessReport(self._inner.report(), self.task)

    def __repr__(self) -> str:
        return f"FairnessPartial(task={self.task!r}, groups={self._inner.n_keys})"


def performance_partial(
    data: Any,
    *,
    prediction: str,
    label: str,
    score: Score = None,
    task: Literal["binary", "multiclass", "regression"] = "binary",
    segment_by: str | Sequence[str] | None = None,
    positive: bool | int | float | str = 1,
) -> PerformancePartial:
    """The mergeable partial of :func:`driftline.performance` over ``data``.

    Parameters are those of :func:`driftline.performance`. Merge partials with
    :meth:`PerformancePartial.merge`, ship them with :meth:`~PerformancePartial.to_bytes`,
    and get the report with :meth:`~PerformancePartial.report`.

    Examples
    --------
    >>> import driftline as dl
    >>> part = dl.performance_partial({"y": [1.0, 2.0], "p": [1.5, 2.0]}, prediction="p",
    ...                               label="y", task="regression")
    >>> part.report().mae
    0.25
    """
    args = performance_args(
        prediction=prediction,
        label=label,
        score=score,
        task=task,
        segment_by=segment_by,
        positive=positive,
    )
    return PerformancePartial(_native.performance_partial(to_arrow(data), **args), task)


def fairness_partial(
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
) -> FairnessPartial:
    """The mergeable partial of :func:`driftline.fairness` over ``data``.

    Parameters are those of :func:`driftline.fairness` (``reference_group`` and
    ``min_group_size`` are kept for the report; partials merge only with partials of the
    same options).

    Examples
    --------
    >>> import driftline as dl
    >>> part = dl.fairness_partial({"y": [1, 0], "p": [1, 1], "g": ["a", "b"]},
    ...                            prediction="p", label="y", sensitive="g", min_group_size=1)
    >>> part.report().demographic_parity_difference
    0.0
    """
    table = to_arrow(data)
    args = fairness_args(
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
    return FairnessPartial(_native.fairness_partial(table, **args), args["task"])
