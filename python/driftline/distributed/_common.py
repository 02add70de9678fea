"""Partials and their merge: the part of every adapter that does not depend on the engine.

A worker turns the Arrow batches of one partition into a partial :class:`~driftline.Profile`
and ships it as bytes in the versioned profile format (``DLPROF`` + format version + body +
checksum): bytes cross every process boundary (pickle, Arrow rows, Ray objects) unchanged
and a driver refuses a partial written by another format version. The driver (or an
intermediate merge task) folds partials in groups of ``fan_in``: a tree reduction whose
memory is bounded by ``fan_in`` decoded profiles, whatever the number of partitions.
"""

from __future__ import annotations

import collections
import importlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import pyarrow as pa

from driftline import _native
from driftline._options import unique_columns
from driftline.exceptions import DecodeError, InvalidParameter
from driftline.profile import Profile
from driftline.profile import _edges as checked_edges  # dl.profile's check, not a copy

__all__ = [
    "DEFAULT_FAN_IN",
    "ProfileSpec",
    "check_fan_in",
    "check_int",
    "decode_partial",
    "merge_partial_bytes",
    "merge_partials",
    "merge_partials_or_empty",
    "partial_from_batches",
    "partial_from_table",
    "require",
    "with_bins",
]

#: Partials merged per reduction step (a driver holds at most this many decoded at once).
DEFAULT_FAN_IN = 64

#: Name of the single binary column of the Arrow rows that carry partials.
PARTIAL_COLUMN = "driftline_partial"


def check_int(name: str, value: object, minimum: int) -> int:
    """Checks that an option is an integer of at least ``minimum`` (a bool is refused).

    Raises
    ------
    InvalidParameter
        Naming the option, the rule and the value given.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise InvalidParameter(f"{name} must be {rule}, got {value!r}")
    return value


def check_fan_in(fan_in: object) -> int:
    """Checks ``fan_in`` before any job: with fewer than 2 partials per merge step a
    reduction tree never shrinks (a hang, or a plan that grows until the engine fails).

    Raises
    ------
    InvalidParameter
        ``fan_in`` is not an integer >= 2.
    """
    return check_int("fan_in", fan_in, 2)


def require(module: str, extra: str, adapter: str) -> ModuleType:
    """Imports an optional engine or says which extra installs it.

    Parameters
    ----------
    module
        Module to import (``"pyspark.sql"``).
    extra
        The driftline extra that provides it (``"spark"``).
    adapter
        The adapter asking, for the message (``"driftline.spark"``).

    Raises
    ------
    ImportError
        When the module is not installed, naming ``pip install 'driftline[extra]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{adapter} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'driftline[{extra}]'"
        ) from exc


@dataclass(frozen=True)
class ProfileSpec:
    """The options of :func:`driftline.profile` that a worker needs, checked on the driver.

    A spec is small and picklable: it travels to every worker with the task.
    """

    columns: tuple[str, ...] | None = None
    categorical: tuple[str, ...] | None = None
    segment_by: str | None = None
    edges: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    bins: int | None = None
    threads: int = 1
    kll_k: int | None = None
    hll_p: int | None = None
    freq_cap: int | None = None
    #: Rows of the whole job when the driver knows them (a Parquet scan's footers): each
    #: partition's quantile sketches then sample as one profile of that many rows would.
    expected_rows: int | None = None
    #: Column -> (dtype, kind) of a comparison's reference: each partition is then read
    #: as the reference was (:func:`driftline.drift.align.align_table`), as
    #: :func:`driftline.compare` reads current data.
    reference_types: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        segment_by: str | None = None,
        *,
        edges: Mapping[str, Sequence[float]] | None = None,
        bins: int | None = None,
        threads: int = 1,
        kll_k: int | None = None,
        hll_p: int | None = None,
        freq_cap: int | None = None,
    ) -> ProfileSpec:
        """Checks the arguments early (on the driver) and freezes them.

        Raises
        ------
        TypeError
            ``columns`` or ``categorical`` given as a string, ``segment_by`` not a string.
        InvalidParameter
            ``bins``, ``threads``, ``kll_k``, ``hll_p`` or ``freq_cap`` out of its domain,
            a column named twice in ``columns``, or an edge that is not a number, before
            any job is submitted.
        """
        if isinstance(columns, str) or isinstance(categorical, str):
            raise TypeError("columns and categorical take a sequence of names, not a string")
        if columns is not None:
            # A name given twice would reach the engine (Dask: a bare ValueError about
            # duplicate column names); refused as for the other options naming columns.
            unique_columns("columns", [str(c) for c in columns])
        if segment_by is not None and not isinstance(segment_by, str):
            raise TypeError(f"segment_by must be a column name, got {type(segment_by).__name__}")
        if bins is not None:
            check_int("bins", bins, 1)
        check_int("threads", threads, 1)
        # Checked here because the native conversion would raise a bare OverflowError or
        # TypeError, on a worker, without naming the option.
        # The same ranges as dl.profile, checked on the driver before any job.
        from driftline.profile import check_sketch_options

        check_sketch_options(kll_k, hll_p, freq_cap)
        return cls(
            columns=None if columns is None else tuple(str(c) for c in columns),
            categorical=None if categorical is None else tuple(str(c) for c in categorical),
            segment_by=segment_by,
            # dl.profile's own check: a non-numeric edge is an InvalidParameter naming
            # the column, not a bare ValueError from float().
            edges={k: tuple(v) for k, v in checked_edges(edges or {}).items()},
            bins=bins,
            threads=threads,
            kll_k=kll_k,
            hll_p=hll_p,
            freq_cap=freq_cap,
        )

    def selected(self, available: Sequence[str]) -> list[str]:
        """Columns a worker must read: the profiled ones and the segment key.

        Engines push this selection down, so unprofiled columns are never converted to Arrow.
        """
        if self.columns is None:
            return list(available)
        wanted = list(self.columns)
        if self.segment_by is not None and self.segment_by not in wanted:
            wanted.append(self.segment_by)
        # Unknown names are left in: the core raises SchemaError naming them.
        return wanted

    def profile(self, data: Any) -> Profile:
        """Profiles one partition with these options (runs on a worker)."""
        if self.reference_types:
            from driftline.distributed._conform import align_data

            data = align_data(data, self.reference_types)
        return Profile(
            _native.profile(
                data,
                columns=None if self.columns is None else list(self.columns),
                categorical=None if self.categorical is None else list(self.categorical),
                edges={k: list(v) for k, v in self.edges.items()} or None,
                bins=None,
                segment_by=self.segment_by,
                threads=self.threads,
                kll_k=self.kll_k,
                hll_p=self.hll_p,
                freq_cap=self.freq_cap,
                expected_rows=self.expected_rows,
            )
        )


def partial_from_table(table: pa.Table, spec: ProfileSpec) -> bytes:
    """The serialised partial profile of one partition held as an Arrow table."""
    return spec.profile(table).to_bytes()


def partial_from_batches(batches: Iterable[pa.RecordBatch], spec: ProfileSpec) -> bytes | None:
    """The serialised partial of a partition given as a stream of batches.

    Returns None for a partition without any batch (nothing to ship).
    """
    it: Iterator[pa.RecordBatch] = iter(batches)
    first = next(it, None)
    if first is None:
        return None
    reader = pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], it))
    return spec.profile(reader).to_bytes()


def decode_partial(blob: bytes, index: int) -> Profile:
    """Reads one partial, saying which one and why when it cannot be used.

    Raises
    ------
    DecodeError
        Truncated, corrupted or foreign bytes, or a partial written by a driftline with
        another profile format version than the driver's.
    """
    try:
        return Profile.from_bytes(blob)
    except DecodeError as exc:
        raise DecodeError(
            f"partial profile #{index} from the workers was refused: {exc}. The workers and "
            "the driver must run the same driftline version (check the cluster's environment)"
        ) from exc


def _chunks(items: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _merge_chunk(chunk: list[bytes], first: int) -> Any:
    # Decoding and merging both run in the core with the GIL released and no Python object
    # per partial: chunks merge in parallel threads.
    try:
        return _native.merge_profile_bytes(chunk, first)
    except DecodeError as exc:
        raise DecodeError(
            f"{exc}. The workers and the driver must run the same driftline version "
            "(check the cluster's environment)"
        ) from exc


def merge_partials(
    blobs: Iterable[bytes | None], *, fan_in: int = DEFAULT_FAN_IN, threads: int | None = None
) -> Profile:
    """Merges serialised partials: chunks of ``fan_in`` decoded and merged in parallel.

    Parameters
    ----------
    blobs
        Partials in any order (``None`` entries, from empty partitions, are skipped).
    fan_in
        Partials decoded and merged per step.
    threads
        Chunks in flight at once (default: the CPUs, at most 8); memory is bounded by
        ``2 * threads * fan_in`` decoded partials whatever the number of partials.

    Returns
    -------
    Profile
        The merged profile (an empty profile when there is no partial).

    Raises
    ------
    DecodeError
        A partial is corrupted or from an incompatible format version (which one is said).
    InvalidParameter
        ``fan_in`` is not an integer >= 2.
    """
    check_fan_in(fan_in)
    workers = threads or min(os.cpu_count() or 1, 8)
    merged: list[Any] = []
    pending: collections.deque[Future[Any]] = collections.deque()
    index = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for chunk in _chunks((b for b in blobs if b is not None), fan_in):
            pending.append(pool.submit(_merge_chunk, chunk, index))
            index += len(chunk)
            if len(pending) >= 2 * workers:
                merged = [_native.merge_profiles([*merged, pending.popleft().result()])]
        # Results are taken in submission order: the merge order does not depend on timing.
        merged = [_native.merge_profiles([*merged, *(f.result() for f in pending)])]
    return Profile(merged[0])


def merge_partials_or_empty(
    blobs: Iterable[bytes | None],
    spec: ProfileSpec,
    *,
    fan_in: int,
    empty: Callable[[], pa.Table],
) -> Profile:
    """Merges the partials of a job; without any (every partition empty, or none at all),
    the profile of ``empty()``, a table without rows of the frame's schema.

    Engines that skip empty blocks (Ray) or ship nothing for an empty partition (Spark)
    would otherwise return a profile without columns, where :func:`driftline.profile` on
    the empty data, and Dask, list every selected column with zero counts.
    """
    arrived = False

    def present() -> Iterator[bytes]:
        nonlocal arrived
        for blob in blobs:
            if blob is not None:
                arrived = True
                yield blob

    merged = merge_partials(present(), fan_in=fan_in)
    return merged if arrived else spec.profile(empty())


def merge_partial_bytes(blobs: Sequence[bytes | None]) -> bytes:
    """One node of a distributed tree reduction: partials in, one partial out."""
    return merge_partials(blobs).to_bytes()


def with_bins(spec: ProfileSpec, run: Callable[[ProfileSpec], Profile]) -> Profile:
    """Runs a distributed profile, in two passes when ``bins`` is asked for.

    Quantile bins come from the merged sketch of the whole data, which no single partition
    has: a first pass builds the sketches, then a second counts every numeric column
    without given edges exactly on its ``bins``-quantile edges.
    """
    if spec.bins is None:
        return run(spec)
    first = run(replace(spec, bins=None))
    edges = dict(spec.edges)
    for name in first.columns:
        if name not in edges and first[name].kind == "numeric":
            # Same rule as the single-machine pass: every numeric column gets a histogram.
            found = first._inner.quantile_edges(name, spec.bins)
            edges[name] = tuple(float(e) for e in found)
    return run(replace(spec, bins=None, edges=edges))
