"""driftline on Apache Spark: profiles of PySpark DataFrames, computed where the data lives.

Each partition's Arrow batches go straight into the Rust core through
``DataFrame.mapInArrow``; the partition yields one row holding its serialised partial
profile; when there are more than ``fan_in`` partitions, executor stages merge them
``fan_in`` at a time; the driver merges the last ``fan_in`` or fewer. Install with
``pip install 'driftline[spark]'`` (PySpark 4, Java 17). In local mode set ``PYSPARK_PYTHON``
to the driver's interpreter so that workers find pyarrow and driftline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftline.distributed._common import (
    DEFAULT_FAN_IN,
    PARTIAL_COLUMN,
    ProfileSpec,
    check_fan_in,
    merge_partials,
    merge_partials_or_empty,
    partial_from_batches,
    require,
    with_bins,
)
from driftline.distributed._compare import compare_distributed
from driftline.distributed._metrics import MetricSpec
from driftline.distributed._spark_columns import positional, restore, restore_schema
from driftline.distributed._spark_files import (
    parquet_scan_files,
    profile_tasks,
    run_file_tasks,
    scan_rows,
)
from driftline.exceptions import InvalidParameter, SchemaError
from driftline.profile import Profile

if TYPE_CHECKING:
    from driftline.drift import DriftReport
    from driftline.fairness import FairnessReport
    from driftline.performance import PerformanceReport

__all__ = ["compare", "fairness", "performance", "profile"]

_SCHEMA = f"{PARTIAL_COLUMN} binary"


def _require() -> Any:
    return require("pyspark.sql", "spark", "driftline.spark")


def _row(blob: bytes) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([blob], pa.binary())], names=[PARTIAL_COLUMN])


def _partial_task(
    spec: ProfileSpec, names: Sequence[str]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[Any]]:
    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # Back to the columns' own names, timestamps labelled as toArrow() labels them.
        blob = partial_from_batches((restore(b, names) for b in batches), spec)
        if blob is not None:  # an empty partition ships nothing
            yield _row(blob)

    return task


def _merge_task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    blobs = (b for batch in batches for b in batch.column(0).to_pylist())
    yield _row(merge_partials(blobs).to_bytes())


@contextlib.contextmanager
def _no_pandas_warning() -> Iterator[None]:
    # PySpark 4 checks the pandas version on every mapInArrow and warns about pandas 3;
    # mapInArrow never goes through pandas, so the warning does not concern this adapter.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        yield


def _num_partitions(df: Any) -> int | None:
    try:
        return int(df.rdd.getNumPartitions())
    except Exception:  # Spark Connect has no RDD API: skip the executor merge stage
        return None


def _parallelism(df: Any) -> int:
    return int(df.sparkSession.sparkContext.defaultParallelism)


def _empty(df: Any, names: Sequence[str]) -> pa.Table:
    """A table without rows of the selected columns, typed as the tasks see them."""
    return restore(positional(df, names).limit(0).toArrow(), names)


def _arrow_schema(df: Any) -> pa.Schema | None:
    """The DataFrame's Arrow schema, without a job; None when a type does not convert.

    Spark gives every partition the frame's types, so without it each partition still
    infers the same fairness task.
    """
    from pyspark.sql.pandas.types import to_arrow_schema

    try:
        # toArrow() labels zoned timestamps UTC, and so do the tasks (_spark_columns).
        return restore_schema(to_arrow_schema(df.schema, timezone="UTC"), df.columns)
    except (TypeError, ValueError):
        return None


def _schema_of(df: Any) -> pa.Schema:
    """The DataFrame's Arrow schema as the tasks see it (from an empty collect when a
    type has no direct conversion)."""
    schema = _arrow_schema(df)
    return schema if schema is not None else _empty(df, df.columns).schema


def _run(df: Any, spec: ProfileSpec, fan_in: int, source: str = "arrow") -> Profile:
    check_fan_in(fan_in)
    missing = [c for c in spec.selected(df.columns) if c not in df.columns]
    if missing:
        raise SchemaError(f"column(s) not in the Spark DataFrame: {missing}")
    names = spec.selected(df.columns)
    files = parquet_scan_files(df, names) if source == "auto" else None
    tasks = profile_tasks(files, _parallelism(df)) if files else []
    if tasks and files:
        # A bare scan of local Parquet files: executors read the files themselves, with
        # sketches sized for the whole scan.
        spec = dataclasses.replace(spec, expected_rows=scan_rows(files))
        return merge_partials_or_empty(
            run_file_tasks(df.sparkSession, tasks, names, spec),
            spec,
            fan_in=fan_in,
            empty=lambda: _empty(df, names),
        )
    selected = positional(df, names)
    with _no_pandas_warning():
        partials = selected.mapInArrow(_partial_task(spec, names), _SCHEMA)
        n = _num_partitions(selected)
        while n is not None and n > fan_in:
            # Executor-side levels of the tree, until the driver receives at most fan_in
            # rows. repartition, not coalesce: a coalesce would fold the profiling stage
            # itself into n / fan_in tasks; the shuffle moves partials only.
            n = math.ceil(n / fan_in)
            partials = partials.repartition(n).mapInArrow(_merge_task, _SCHEMA)
    rows = partials.toArrow()
    # An empty partition ships no row: an empty DataFrame yields no partial at all.
    return merge_partials_or_empty(
        rows.column(PARTIAL_COLUMN).to_pylist(),
        spec,
        fan_in=fan_in,
        empty=lambda: _empty(df, names),
    )


def profile(
    df: Any,
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
    source: str = "auto",
) -> Profile:
    """Profiles a PySpark DataFrame partition by partition; the same :class:`Profile` as
    :func:`driftline.profile` on the collected data.

    Parameters
    ----------
    df
        A ``pyspark.sql.DataFrame``.
    columns, categorical, segment_by, edges, kll_k, hll_p, freq_cap
        As in :func:`driftline.profile`. Only the needed columns are read.
    bins
        Quantile-bin histograms: a second Spark job, on edges from the merged sketch.
    threads
        Native threads per Spark task (default 1: Spark already runs a task per core).
    fan_in
        Partials merged per reduction step, on executors when there are more partitions.
    source
        ``"auto"`` (default): when ``df`` is a bare scan of local Parquet files (no
        filter, join or computed column, no partition directories, columns of plain
        numeric, boolean or string types), executors read the row groups from the files
        with pyarrow, skipping Spark's export of every row to Arrow; otherwise, and with
        ``"arrow"``, each partition's batches come through ``mapInArrow``.

    Returns
    -------
    Profile
        Counts, moments, frequencies and histograms equal the single-machine result; the
        sketches are within their stated bounds.

    Raises
    ------
    ImportError
        PySpark is not installed (``pip install 'driftline[spark]'``).
    SchemaError
        A column is not in the DataFrame or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible profile format.

    Examples
    --------
    >>> import driftline.spark as dls  # doctest: +SKIP
    >>> sales = spark.read.parquet("s3://bucket/sales/")  # doctest: +SKIP
    >>> p = dls.profile(sales, segment_by="store")  # doctest: +SKIP
    """
    _require()
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
    if source not in ("auto", "arrow"):
        raise InvalidParameter(f"source must be 'auto' or 'arrow', got {source!r}")
    return with_bins(spec, lambda s: _run(df, s, fan_in, source))


def compare(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    **options: Any,
) -> DriftReport:
    """Drift of a PySpark DataFrame against a reference, without collecting a row.

    The reference (a :class:`~driftline.Profile`, e.g. from the registry, or another
    PySpark DataFrame) gives the bins; the current side is profiled distributed on the reference's
    edges (exact counts per bin); then :func:`driftline.compare` runs on the two profiles.

    Parameters
    ----------
    reference
        A :class:`~driftline.Profile` or a PySpark DataFrame.
    current
        A PySpark DataFrame.
    columns, categorical, bins, options
        As in :func:`driftline.compare`.

    Returns
    -------
    DriftReport
    """
    _require()
    return compare_distributed(
        reference,
        current,
        run=lambda df, spec: with_bins(spec, lambda s: _run(df, s, DEFAULT_FAN_IN, "auto")),
        schema_of=_schema_of,
        columns=columns,
        categorical=categorical,
        bins=bins,
        **options,
    )


def _metric_task(
    spec: MetricSpec, names: Sequence[str]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[Any]]:
    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        blob = spec.partial_from_batches(restore(b, names) for b in batches)
        if blob is not None:  # an empty partition ships nothing
            yield _row(blob)

    return task


def _metric_merge_task(spec: MetricSpec) -> Callable[[Iterator[pa.RecordBatch]], Iterator[Any]]:
    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        blob = spec.merge_bytes([b for batch in batches for b in batch.column(0).to_pylist()])
        if blob is not None:
            yield _row(blob)

    return task


def _run_metrics(df: Any, spec: MetricSpec, fan_in: int) -> Any:
    check_fan_in(fan_in)
    _require()
    wanted = spec.columns()
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise SchemaError(f"column(s) not in the Spark DataFrame: {missing}")
    selected = positional(df, wanted)
    # The frame's schema, not each partition's batches, decides the fairness task.
    schema = _arrow_schema(selected)
    spec = spec.for_schema(None if schema is None else restore_schema(schema, wanted))
    with _no_pandas_warning():
        partials = selected.mapInArrow(_metric_task(spec, wanted), _SCHEMA)
        n = _num_partitions(selected)
        while n is not None and n > fan_in:
            n = math.ceil(n / fan_in)
            partials = partials.repartition(n).mapInArrow(_metric_merge_task(spec), _SCHEMA)
        rows = partials.toArrow()
    return spec.report(
        rows.column(PARTIAL_COLUMN).to_pylist(),
        fan_in=fan_in,
        empty=lambda: _empty(df, wanted),
    )


def fairness(df: Any, *, fan_in: int = DEFAULT_FAN_IN, **options: Any) -> FairnessReport:
    """Fairness of a PySpark DataFrame, partition by partition; the same
    :class:`~driftline.fairness.FairnessReport` as :func:`driftline.fairness` on the
    collected rows (counts and exact sums merged by group).

    Parameters
    ----------
    df
        A ``pyspark.sql.DataFrame``.
    fan_in
        Partials merged per reduction step, on executors when there are more partitions.
    options
        Those of :func:`driftline.fairness` (``prediction``, ``label``, ``sensitive``,
        ``score``, ``positive``, ``reference_group``, ``min_group_size``, ``segment_by``,
        ``task``). Only the named columns are read.

    Raises
    ------
    SchemaError
        A column is not in the DataFrame or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible partial format.

    Examples
    --------
    >>> import driftline.spark as dls  # doctest: +SKIP
    >>> dls.fairness(loans, prediction="approved", label="repaid", sensitive="sex")  # doctest: +SKIP
    """
    return _run_metrics(df, MetricSpec.build("fairness", options), fan_in)  # type: ignore[no-any-return]


def performance(df: Any, *, fan_in: int = DEFAULT_FAN_IN, **options: Any) -> PerformanceReport:
    """Performance of a model on a PySpark DataFrame, partition by partition; the same
    :class:`~driftline.performance.PerformanceReport` as :func:`driftline.performance`
    on the collected rows, except ROC AUC: from merged score histograms
    (``auc_mode == "histogram"``, within ``auc_approx_error_bound``).

    Parameters
    ----------
    df
        A ``pyspark.sql.DataFrame``.
    fan_in
        Partials merged per reduction step, on executors when there are more partitions.
    options
        Those of :func:`driftline.performance` (``prediction``, ``label``, ``score``,
        ``task``, ``segment_by``, ``positive``). Only the named columns are read.

    Raises
    ------
    SchemaError
        A column is not in the DataFrame or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible partial format.

    Examples
    --------
    >>> import driftline.spark as dls  # doctest: +SKIP
    >>> dls.performance(scored, prediction="p", label="y", score="s")  # doctest: +SKIP
    """
    return _run_metrics(df, MetricSpec.build("performance", options), fan_in)  # type: ignore[no-any-return]
