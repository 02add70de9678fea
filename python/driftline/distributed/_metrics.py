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

from driftline.distributed._common import check_fan_in, check_int
from driftline.exceptions import DecodeError
from driftline.fairness import native_args as fairness_args
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
        InvalidParameter
            ``min_group_size`` not an integer >= 0.
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
            # The local function would fail with a bare TypeError on None, on a worker.
            check_int("min_group_size", options.get("min_group_size", 30), 0)
        return spec

    def for_schema(self, schema: pa.Schema | None) -> MetricSpec:
        """This spec with the fairness ``task`` fixed from the whole frame's schema.

        Left to each partition, the task would be inferred from that partition's own
        types: a partition whose prediction came out as integers and one where it came
        out as floats (a null, an all-null block) would give partials of different tasks,
        which refuse to merge. Inferred once on the driver, with the rule of
        :func:`driftline.fairness` (regression when the prediction column is floating
        point), every partial gets the task of the single-machine call on all the rows.
        Without a schema (an engine that cannot say) or with ``task`` given, unchanged.
        """
        options = dict(self.options)
        if self.kind != "fairness" or options.get("task") is not None or schema is None:
            return self
        bound = inspect.signature(fairness_partial).bind(schema.empty_table(), **options)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        task = fairness_args(arguments.pop("data"), **arguments)["task"]
        options["task"] = task
        return MetricSpec(self.kind, tuple(sorted(options.items())))

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
        InvalidParameter
            ``fan_in`` is not an integer >= 2.
        """
        check_fan_in(fan_in)
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
