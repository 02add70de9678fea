"""driftline on Ray: profiles of Ray Datasets through ``map_batches``.

Each block is handed to the Rust core as a pyarrow Table (``batch_format="pyarrow"``,
one batch per block) and becomes one row holding its serialised partial; the driver
streams those rows and merges them ``fan_in`` at a time. Partials are shipped as bytes:
Ray returns results through Arrow rows. Install with ``pip install 'driftline[ray]'``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftline.distributed._common import (
    DEFAULT_FAN_IN,
    PARTIAL_COLUMN,
    ProfileSpec,
    check_fan_in,
    merge_partials_or_empty,
    partial_from_table,
    require,
    with_bins,
)
from driftline.distributed._compare import compare_distributed
from driftline.distributed._conform import conform_table
from driftline.distributed._metrics import MetricSpec
from driftline.exceptions import SchemaError
from driftline.profile import Profile

if TYPE_CHECKING:
    from driftline.drift import DriftReport
    from driftline.fairness import FairnessReport
    from driftline.performance import PerformanceReport

__all__ = ["compare", "fairness", "performance", "profile"]


class _PartialTask:
    """A picklable callable: one block in, cast to the Dataset's schema (a block keeps the
    types it was made with, the Dataset's are their unification), one row with its partial
    out."""

    def __init__(self, spec: ProfileSpec, schema: pa.Schema | None) -> None:
        self.spec = spec
        self.schema = schema

    def __call__(self, block: pa.Table) -> pa.Table:
        blob = partial_from_table(conform_table(block, self.schema), self.spec)
        return pa.table({PARTIAL_COLUMN: pa.array([blob], pa.binary())})


def _blobs(ds: Any) -> Iterator[bytes]:
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        yield from batch.column(PARTIAL_COLUMN).to_pylist()


def _schema(ds: Any) -> pa.Schema | None:
    """The Dataset's Arrow schema, unified over its blocks by Ray (None if not Arrow)."""
    base = ds.schema().base_schema
    return base if isinstance(base, pa.Schema) else None


def _empty(ds: Any) -> pa.Table:
    """A table without rows of the Dataset's schema (unified over its blocks by Ray)."""
    return ds.schema().base_schema.empty_table()


def _run(ds: Any, spec: ProfileSpec, fan_in: int) -> Profile:
    check_fan_in(fan_in)
    columns = list(ds.schema().names)
    wanted = spec.selected(columns)
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise SchemaError(f"column(s) not in the Ray Dataset: {missing}")
    if wanted != columns:
        ds = ds.select_columns(wanted)
    partials = ds.map_batches(
        _PartialTask(spec, _schema(ds)),
        batch_format="pyarrow",
        batch_size=None,
        zero_copy_batch=True,
    )
    # Ray hands no empty block to map_batches: an empty Dataset yields no partial at all.
    return merge_partials_or_empty(_blobs(partials), spec, fan_in=fan_in, empty=lambda: _empty(ds))


def profile(
    ds: Any,
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
    fan_in: int = DEFAULT_FAN_IN,
) -> Profile:
    """Profiles a Ray Dataset block by block; the same :class:`Profile` as
    :func:`driftline.profile` on the materialised data.

    Parameters
    ----------
    ds
        A ``ray.data.Dataset``.
    columns, categorical, segment_by, edges, kll_k, hll_p, freq_cap
        As in :func:`driftline.profile`. Only the needed columns are read.
    bins
        Quantile-bin histograms: a second pass, on edges from the merged sketch.
    threads
        Native threads per Ray task (default 1: Ray already runs a task per CPU).
    fan_in
        Partials decoded and merged at a time on the driver.

    Returns
    -------
    Profile
        Counts, moments, frequencies and histograms equal the single-machine result; the
        sketches are within their stated bounds.

    Raises
    ------
    ImportError
        Ray is not installed (``pip install 'driftline[ray]'``).
    SchemaError
        A column is not in the Dataset or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible profile format.

    Examples
    --------
    >>> import ray, driftline.ray as dlr  # doctest: +SKIP
    >>> p = dlr.profile(ray.data.read_parquet("s3://bucket/sales/"))  # doctest: +SKIP
    """
    require("ray.data", "ray", "driftline.ray")
    spec = ProfileSpec.build(
        columns,
        categorical,
        segment_by,
        edges=edges,
        bins=bins,
        threads=threads,
        kll_k=kll_k,
        hll_p=hll_p,
        freq_cap=freq_cap,
    )
    return with_bins(spec, lambda s: _run(ds, s, fan_in))


def compare(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    **options: Any,
) -> DriftReport:
    """Drift of a Ray Dataset against a reference, without collecting a row.

    The reference (a :class:`~driftline.Profile`, e.g. from the registry, or another
    Ray Dataset) gives the bins; the current side is profiled distributed on the reference's
    edges (exact counts per bin); then :func:`driftline.compare` runs on the two profiles.

    Parameters
    ----------
    reference
        A :class:`~driftline.Profile` or a Ray Dataset.
    current
        A Ray Dataset.
    columns, categorical, bins, options
        As in :func:`driftline.compare`.

    Returns
    -------
    DriftReport
    """
    require("ray.data", "ray", "driftline.ray")
    return compare_distributed(
        reference,
        current,
        run=lambda ds, spec: with_bins(spec, lambda s: _run(ds, s, DEFAULT_FAN_IN)),
        schema_of=lambda ds: ds.schema().base_schema,
        columns=columns,
        categorical=categorical,
        bins=bins,
        **options,
    )


class _MetricTask:
    """A picklable callable: one block in, one row with its fairness or performance
    partial out (the block cast to the Dataset's schema first)."""

    def __init__(self, spec: MetricSpec, schema: pa.Schema | None) -> None:
        self.spec = spec
        self.schema = schema

    def __call__(self, block: pa.Table) -> pa.Table:
        blob = self.spec.partial_bytes(conform_table(block, self.schema))
        return pa.table({PARTIAL_COLUMN: pa.array([blob], pa.binary())})


def _run_metrics(ds: Any, spec: MetricSpec, fan_in: int) -> Any:
    check_fan_in(fan_in)
    require("ray.data", "ray", "driftline.ray")
    columns = list(ds.schema().names)
    wanted = spec.columns()
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise SchemaError(f"column(s) not in the Ray Dataset: {missing}")
    ds = ds.select_columns(wanted)
    # The Dataset's schema (Ray unifies its blocks' types), not each block's, decides the
    # fairness task.
    schema = _schema(ds)
    spec = spec.for_schema(schema)
    partials = ds.map_batches(
        _MetricTask(spec, schema), batch_format="pyarrow", batch_size=None, zero_copy_batch=True
    )
    return spec.report(
        _blobs(partials),
        fan_in=fan_in,
        empty=lambda: _empty(ds),
    )


def fairness(ds: Any, *, fan_in: int = DEFAULT_FAN_IN, **options: Any) -> FairnessReport:
    """Fairness of a Ray Dataset block by block (``map_batches``, pyarrow batches); the
    same :class:`~driftline.fairness.FairnessReport` as :func:`driftline.fairness` on the
    materialised rows.

    Parameters
    ----------
    ds
        A ``ray.data.Dataset``.
    fan_in
        Partials merged per step on the driver.
    options
        Those of :func:`driftline.fairness`. Only the named columns are read.

    Examples
    --------
    >>> import driftline.ray as dlr  # doctest: +SKIP
    >>> dlr.fairness(ds, prediction="p", label="y", sensitive="g")  # doctest: +SKIP
    """
    return _run_metrics(ds, MetricSpec.build("fairness", options), fan_in)  # type: ignore[no-any-return]


def performance(ds: Any, *, fan_in: int = DEFAULT_FAN_IN, **options: Any) -> PerformanceReport:
    """Performance of a model on a Ray Dataset block by block; the same
    :class:`~driftline.performance.PerformanceReport` as :func:`driftline.performance` on
    the materialised rows, except ROC AUC: from merged score histograms
    (``auc_mode == "histogram"``, within ``auc_approx_error_bound``).

    Parameters
    ----------
    ds
        A ``ray.data.Dataset``.
    fan_in
        Partials merged per step on the driver.
    options
        Those of :func:`driftline.performance`. Only the named columns are read.

    Examples
    --------
    >>> import driftline.ray as dlr  # doctest: +SKIP
    >>> dlr.performance(ds, prediction="p", label="y", score="s")  # doctest: +SKIP
    """
    return _run_metrics(ds, MetricSpec.build("performance", options), fan_in)  # type: ignore[no-any-return]
