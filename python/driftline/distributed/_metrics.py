"""Fairness and performance on the engines: the engine-independent part.

A worker turns one partition into a :class:`~driftline.FairnessPartial` or
:class:`~driftline.PerformancePartial` and ships it as bytes (``DLFAIR`` / ``DLPERF``
format); merge steps fold them ``fan_in`` at a time in the core, the GIL released; the
driver turns the last one into the same report as :func:`driftline.fairness` or
:func:`driftline.performance` on all the rows (ROC AUC from score histograms:
``auc_mode == "histogram"``).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from driftline.exceptions import DecodeError
from driftline.partials import (
    FairnessPartial,
    PerformancePartial,
    fairness_partial,
    performance_partial,
)

__all__ = ["MetricSpec"]

Partial = FairnessPartial | PerformancePartial


@dataclass(frozen=True)
class MetricSpec:
    """The options of :func:`driftline.fairness` or :func:`driftline.performance` that a
    worker needs: small and picklable, checked on the driver before any job."""

    kind: str
    options: tuple[tuple[str, Any], ...]

    @classmethod
    def build(cls, kind: str, options: dict[str, Any]) -> MetricSpec:
        """Checks the options early (on the driver) and freezes them.

        Raises
        ------
        TypeError, ValueError
            A malformed option, before any job is submitted.
        """
        if kind not in ("fairness", "performance"):
            raise ValueError(f"kind must be 'fairness' or 'performance', got {kind!r}")
        # Unknown or missing options fail here, as the local function would, not on a worker.
        local = fairness_partial if kind == "fairness" else performance_partial
        inspect.signature(local).bind(None, **options)
        spec = cls(kind, tuple(sorted(options.items())))
        prediction = options.get("prediction")
        if not isinstance(prediction, str):
            raise TypeError(f"prediction must be a column name, got {type(prediction).__name__}")
        if kind == "performance":
            from driftline.performance import native_args

            native_args(
                prediction=options["prediction"],
                label=options["label"],
                score=options.get("score"),
                task=options.get("task", "binary"),
                segment_by=options.get("segment_by"),
                positive=options.get("positive", 1),
            )
        else:
            sensitive = options.get("sensitive")
            if not sensitive:
                raise ValueError("sensitive: name at least one column")
            if options.get("min_group_size", 30) < 0:
                raise ValueError("min_group_size must be >= 0")
        return spec

    def columns(self) -> list[str]:
        """The columns a worker reads (engines push this selection down)."""
        o = dict(self.options)
        out: list[str] = []

        def add(v: Any) -> None:
            if v is None:
                return
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, dict):
                out.extend(str(c) for c in v.values())
            else:
                out.extend(str(c) for c in v)

        for name in ("prediction", "label", "score", "sensitive", "segment_by"):
            add(o.get(name))
        return list(dict.fromkeys(out))

    def partial(self, data: Any) -> Partial:
        """The partial of one partition (runs on a worker)."""
        o = dict(self.options)
        if self.kind == "fairness":
            return fairness_partial(data, **o)
        return performance_partial(data, **o)

    def partial_bytes(self, data: Any) -> bytes:
        """The serialised partial of one partition held as a table."""
        return self.partial(data).to_bytes()

    def partial_from_batches(self, batches: Iterable[pa.RecordBatch]) -> bytes | None:
        """The serialised partial of a stream of batches; None without any batch."""
        it: Iterator[pa.RecordBatch] = iter(batches)
        first = next(it, None)
        if first is None:
            return None
        table = pa.Table.from_batches(itertools.chain([first], it))
        return self.partial_bytes(table)

    def _cls(self) -> Any:
        return FairnessPartial if self.kind == "fairness" else PerformancePartial

    def merge(self, blobs: Iterable[bytes | None], *, fan_in: int) -> Partial | None:
        """Merges serialised partials ``fan_in`` at a time, in order (None entries, from
        empty partitions, skipped); None when there is none.

        Raises
        ------
        DecodeError
            A partial from another format version or corrupted, naming which one.
        """
        if fan_in < 2:
            raise ValueError(f"fan_in must be at least 2, got {fan_in!r}")
        cls = self._cls()
        merged: Partial | None = None
        index = 0
        it = (b for b in blobs if b is not None)
        while chunk := list(itertools.islice(it, fan_in)):
            try:
                part = cls.merge_all(chunk)
            except DecodeError as exc:
                raise DecodeError(
                    f"a {self.kind} partial from the workers (among #{index}..#"
                    f"{index + len(chunk) - 1}) was refused: {exc}. The workers and the driver "
                    "must run the same driftline version (check the cluster's environment)"
                ) from exc
            index += len(chunk)
            merged = part if merged is None else merged.merge(part)
        return merged

    def merge_bytes(self, blobs: Sequence[bytes | None]) -> bytes | None:
        """One node of a distributed tree reduction: partials in, one partial out."""
        merged = self.merge(blobs, fan_in=max(2, len(blobs)))
        return None if merged is None else merged.to_bytes()

    def report(
        self, blobs: Iterable[bytes | None], *, fan_in: int, empty: Callable[[], Any]
    ) -> Any:
        """The report of all the partials; without any (every partition empty), the
        report of ``empty()``, a table without rows."""
        merged = self.merge(blobs, fan_in=fan_in)
        if merged is None:
            merged = self.partial(empty())
        return merged.report()
