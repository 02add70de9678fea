"""driftline on Dask: profiles of Dask DataFrames, partition-wise then a tree reduction.

Each partition becomes a partial profile in a Dask task (as Arrow, without a Python loop
over rows); partials travel between workers as bytes and are merged ``fan_in`` at a time
in a tree of Dask tasks, so that no worker and not the driver ever holds more than
``fan_in`` of them. Runs on whatever scheduler is active (threads, processes, or a
``distributed.Client``). Install with ``pip install 'driftline[dask]'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from driftline._arrow import to_table, to_table_like
from driftline.distributed._common import (
    DEFAULT_FAN_IN,
    ProfileSpec,
    check_fan_in,
    merge_partial_bytes,
    merge_partials,
    partial_from_table,
    require,
    with_bins,
)
from driftline.distributed._compare import compare_distributed
from driftline.distributed._conform import conform_pandas
from driftline.distributed._metrics import MetricSpec
from driftline.exceptions import SchemaError
from driftline.profile import Profile

if TYPE_CHECKING:
    from driftline.drift import DriftReport
    from driftline.fairness import FairnessReport
    from driftline.performance import PerformanceReport

__all__ = ["compare", "fairness", "performance", "profile"]


def _dtypes(ddf: Any) -> dict[str, Any]:
    """The frame's dtypes (its meta): what ``compute()`` gives, whatever each partition
    holds (an ``int64`` partition of a ``float64`` frame, a ``float64`` all-NaN one of a
    string column)."""
    return {str(c): t for c, t in ddf._meta.dtypes.items()}


def _partition_partial(part: Any, spec: ProfileSpec, dtypes: dict[str, Any]) -> bytes:
    return partial_from_table(to_table_like(conform_pandas(part, dtypes)), spec)


def _run(ddf: Any, spec: ProfileSpec, fan_in: int) -> Profile:
    check_fan_in(fan_in)
    dask = require("dask", "dask", "driftline.dask")
    columns = [str(c) for c in ddf.columns]
    wanted = spec.selected(columns)
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise SchemaError(f"column(s) not in the Dask DataFrame: {missing}")
    if wanted != columns:
        ddf = ddf[wanted]
    task = dask.delayed(_partition_partial, pure=True)
    merge = dask.delayed(merge_partial_bytes, pure=True)
    dtypes = _dtypes(ddf)
    level = [task(part, spec, dtypes) for part in ddf.to_delayed()]
    while len(level) > fan_in:
        level = [merge(level[i : i + fan_in]) for i in range(0, len(level), fan_in)]
    (blobs,) = dask.compute(level)
    return merge_partials(blobs, fan_in=fan_in)


def profile(
    ddf: Any,
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
    """Profiles a Dask DataFrame; the same :class:`Profile` as :func:`driftline.profile`
    on the computed data.

    Parameters
    ----------
    ddf
        A ``dask.dataframe.DataFrame`` (pandas partitions, any dtype backend).
    columns, categorical, segment_by, edges, kll_k, hll_p, freq_cap
        As in :func:`driftline.profile`. Only the needed columns are read.
    bins
        Quantile-bin histograms: a second pass, on edges from the merged sketch.
    threads
        Native threads per Dask task (default 1: Dask already runs tasks in parallel).
    fan_in
        Partials merged per task of the reduction tree.

    Returns
    -------
    Profile
        Counts, moments, frequencies and histograms equal the single-machine result; the
        sketches are within their stated bounds.

    Raises
    ------
    ImportError
        Dask is not installed (``pip install 'driftline[dask]'``).
    SchemaError
        A column is not in the DataFrame or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible profile format.

    Examples
    --------
    >>> import dask.dataframe as dd, pandas as pd
    >>> import driftline.dask as dld
    >>> ddf = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}), npartitions=2)
    >>> p = dld.profile(ddf)
    >>> p.row_count, p["x"].mean
    (4, 2.5)
    """
    require("dask.dataframe", "dask", "driftline.dask")
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
    return with_bins(spec, lambda s: _run(ddf, s, fan_in))


def compare(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    bins: int = 10,
    **options: Any,
) -> DriftReport:
    """Drift of a Dask DataFrame against a reference, without collecting a row.

    The reference (a :class:`~driftline.Profile`, e.g. from the registry, or another
    Dask DataFrame) gives the bins; the current side is profiled distributed on the reference's
    edges (exact counts per bin); then :func:`driftline.compare` runs on the two profiles.

    Parameters
    ----------
    reference
        A :class:`~driftline.Profile` or a Dask DataFrame.
    current
        A Dask DataFrame.
    columns, categorical, bins, options
        As in :func:`driftline.compare`.

    Returns
    -------
    DriftReport
    """
    require("dask.dataframe", "dask", "driftline.dask")
    return compare_distributed(
        reference,
        current,
        run=lambda ddf, spec: with_bins(spec, lambda s: _run(ddf, s, DEFAULT_FAN_IN)),
        schema_of=lambda ddf: to_table(ddf._meta).schema,
        columns=columns,
        categorical=categorical,
        bins=bins,
        **options,
    )


def _metric_partial(part: Any, spec: MetricSpec, dtypes: dict[str, Any]) -> bytes:
    return spec.partial_bytes(conform_pandas(part, dtypes))


def _run_metrics(ddf: Any, spec: MetricSpec, fan_in: int) -> Any:
    check_fan_in(fan_in)
    dask = require("dask", "dask", "driftline.dask")
    require("dask.dataframe", "dask", "driftline.dask")
    columns = [str(c) for c in ddf.columns]
    wanted = spec.columns()
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise SchemaError(f"column(s) not in the Dask DataFrame: {missing}")
    ddf = ddf[wanted]
    # The frame's dtypes (its meta), not each partition's, decide the fairness task.
    spec = spec.for_schema(to_table(ddf._meta).schema)
    task = dask.delayed(_metric_partial, pure=True)
    merge = dask.delayed(spec.merge_bytes, pure=True)
    dtypes = _dtypes(ddf)
    level = [task(part, spec, dtypes) for part in ddf.to_delayed()]
    while len(level) > fan_in:
        level = [merge(level[i : i + fan_in]) for i in range(0, len(level), fan_in)]
    (blobs,) = dask.compute(level)
    return spec.report(blobs, fan_in=fan_in, empty=lambda: ddf._meta)


def fairness(ddf: Any, *, fan_in: int = DEFAULT_FAN_IN, **options: Any) -> FairnessReport:
    """Fairness of a Dask DataFrame: a partial per partition, then a tree reduction; the
    same :class:`~driftline.fairness.FairnessReport` as :func:`driftline.fairness` on the
    computed rows.

    Parameters
    ----------
    ddf
        A ``dask.dataframe.DataFrame``.
    fan_in
        Partials merged per task of the reduction tree.
    options
        Those of :func:`driftline.fairness`. Only the named columns are read.

    Raises
    ------
    SchemaError
        A column is not in the DataFrame or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible partial format.

    Examples
    --------
    >>> import dask.dataframe as dd, pandas as pd
    >>> import driftline.dask as dld
    >>> df = pd.DataFrame({"y": [1, 0, 1, 0], "p": [1, 0, 0, 0], "g": ["a", "a", "b", "b"]})
    >>> f = dld.fairness(dd.from_pandas(df, npartitions=2), prediction="p", label="y",
    ...                  sensitive="g", min_group_size=1)
    >>> f.demographic_parity_difference
    0.5
    """
    return _run_metrics(ddf, MetricSpec.build("fairness", options), fan_in)  # type: ignore[no-any-return]


def performance(ddf: Any, *, fan_in: int = DEFAULT_FAN_IN, **options: Any) -> PerformanceReport:
    """Performance of a model on a Dask DataFrame: a partial per partition, then a tree
    reduction; the same :class:`~driftline.performance.PerformanceReport` as
    :func:`driftline.performance` on the computed rows, except ROC AUC: from merged score
    histograms (``auc_mode == "histogram"``, within ``auc_approx_error_bound``).

    Parameters
    ----------
    ddf
        A ``dask.dataframe.DataFrame``.
    fan_in
        Partials merged per task of the reduction tree.
    options
        Those of :func:`driftline.performance`. Only the named columns are read.

    Raises
    ------
    SchemaError
        A column is not in the DataFrame or has an unsupported type.
    DecodeError
        A worker runs a driftline with an incompatible partial format.

    Examples
    --------
    >>> import dask.dataframe as dd, pandas as pd
    >>> import driftline.dask as dld
    >>> df = pd.DataFrame({"y": [0, 1, 1, 0], "p": [0, 1, 0, 0]})
    >>> dld.performance(dd.from_pandas(df, npartitions=2), prediction="p", label="y").accuracy
    0.75
    """
    return _run_metrics(ddf, MetricSpec.build("performance", options), fan_in)  # type: ignore[no-any-return]
