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
share of positive-negative pairs sharing a bin; per segment, ``roc_auc_error_bound``).

Bytes are versioned and checksummed (``DLPERF`` / ``DLFAIR`` + format version + body +
xxh3): bytes from another format version, truncated or corrupted bytes raise
:class:`~driftline.exceptions.DecodeError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, Self

from driftline import _native
from driftline.exceptions import DecodeError, InvalidParameter
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

#: What :meth:`_Partial.from_bytes` and :meth:`_Partial.merge_all` take as serialised bytes.
_BYTES_LIKE = (bytes, bytearray, memoryview)


def _as_bytes(data: object, what: str) -> bytes:
    """``data`` as ``bytes``, the only buffer type the native decoders take.

    Anything but a bytes-like object is a :class:`DecodeError` (not the native module's
    bare ``TypeError``): a ``str`` or ``None`` read off a queue or a store is input that
    cannot be decoded, which is what callers of ``from_bytes`` already catch.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise DecodeError(
        f"{what} expects bytes, bytearray or memoryview (from to_bytes()); "
        f"got {type(data).__name__}"
    )


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
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        """Reads bytes written by :meth:`to_bytes` (``bytes``, ``bytearray`` or
        ``memoryview``).

        Raises
        ------
        DecodeError
            Not bytes at all (a ``str``, ``None``), or bytes of another kind or format
            version, truncated or corrupted.
        """
        inner = cls._native_type.from_bytes(_as_bytes(data, f"{cls.__name__}.from_bytes"))
        return cls(inner, str(inner.task))

    def merge(self, other: Self) -> Self:
        """The partial of both sets of rows (counts and sums add; groups, segments and
        classes matched by value).

        Raises
        ------
        InvalidParameter
            ``other`` is not a partial of this class, or partials of different
            evaluations (columns, task, positive, groups, segments).
        """
        if not isinstance(other, type(self)):
            raise InvalidParameter(
                f"{type(self).__name__}.merge: other must be a {type(self).__name__}; "
                f"got {type(other).__name__}"
            )
        return type(self)(self._inner.merge(other._inner), self.task)

    @classmethod
    def merge_all(cls, partials: Iterable[Self | bytes | bytearray | memoryview]) -> Self | None:
        """Merges many partials (objects, or their bytes as ``bytes``, ``bytearray`` or
        ``memoryview``, mixed in any way) in one native call, in order; None when there is
        none.

        Raises
        ------
        InvalidParameter
            An item that is neither a partial of this class nor bytes (naming its index),
            or partials of different evaluations.
        DecodeError
            Bytes that do not decode as a partial of this class.
        """
        what = f"{cls.__name__}.merge_all"
        if isinstance(partials, (str, *_BYTES_LIKE)) or not isinstance(partials, Iterable):
            # One blob or a string is iterable, but iterating it would merge its
            # characters or byte values: refuse it by name instead.
            raise InvalidParameter(
                f"{what}: partials must be a list of {cls.__name__} objects or their bytes; "
                f"got {type(partials).__name__}"
            )
        items = list(partials)
        if not items:
            return None
        if all(isinstance(p, _BYTES_LIKE) for p in items):
            merged = cls._native_type.merge_bytes([_as_bytes(p, what) for p in items])
        else:
            merged = cls._native_type.merge_all(
                [cls._item(p, i)._inner for i, p in enumerate(items)]
            )
        return None if merged is None else cls(merged, str(merged.task))

    @classmethod
    def _item(cls, item: object, index: int) -> Self:
        """One item of :meth:`merge_all` as a partial of this class."""
        if isinstance(item, cls):
            return item
        if isinstance(item, _BYTES_LIKE):
            return cls.from_bytes(item)
        raise InvalidParameter(
            f"{cls.__name__}.merge_all: partials[{index}] must be a {cls.__name__} or its "
            f"bytes; got {type(item).__name__}"
        )


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
