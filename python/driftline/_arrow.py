"""Turning what users pass into Arrow streams the native module reads (zero-copy).

Accepted: anything with ``__arrow_c_stream__`` that yields record batches (pyarrow Table,
RecordBatch, RecordBatchReader, polars DataFrame, DuckDB and others), single columns
(pyarrow Array and ChunkedArray, polars Series, numpy arrays), pandas DataFrames and dicts
of arrays. No Python loop over rows and no copy into numpy happens here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from driftline.exceptions import SchemaError

__all__ = ["batch_arrays", "to_table_like"]


def batch_arrays(batch: pa.RecordBatch) -> dict[str, Any]:
    """The columns of a RecordBatch from the native module as numpy arrays: numbers as
    float64, flags as bool."""
    import numpy as np

    out: dict[str, Any] = {}
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        a = col.to_numpy(zero_copy_only=False)
        out[name] = a if a.dtype == np.bool_ else a.astype(np.float64, copy=False)
    return out


def _is_pandas(obj: Any) -> bool:
    # pandas 3 names its classes' module "pandas" itself, pandas 2 "pandas.core.frame".
    module = type(obj).__module__
    return (module == "pandas" or module.startswith("pandas.")) and hasattr(obj, "columns")


def to_table(data: Any, *, name: str = "value") -> pa.Table:
    """``data`` as one ``pyarrow.Table`` (a reader read to its end), from anything
    :func:`to_table_like` reads."""
    like = to_table_like(data, name=name)
    if isinstance(like, pa.Table):
        return like
    if isinstance(like, pa.RecordBatchReader):
        return like.read_all()
    return pa.table(like)


def to_table_like(data: Any, *, name: str = "value", columns: Iterable[str] | None = None) -> Any:
    """Returns an object whose ``__arrow_c_stream__`` yields record batches.

    Parameters
    ----------
    data
        The user's data.
    name
        Column name given to a single unnamed column (an array or a series).
    columns
        The columns the caller reads (default: all). A polars frame exports only these
        (names it does not have are left for the caller to report), so a column of a type
        Arrow cannot carry does not stop the others.

    Raises
    ------
    SchemaError
        A polars column of 128-bit integers among those read: polars exports it in a
        format no Arrow reader accepts.
    """
    if isinstance(data, pa.Table | pa.RecordBatchReader):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.Array | pa.ChunkedArray):
        return pa.table({name: data})
    module = type(data).__module__
    if module.startswith("polars"):
        return _polars_table_like(data, name, columns)
    if _is_pandas(data):
        # A named index is data in pandas 3 only when asked for; the profile covers columns.
        return pa.Table.from_pandas(data, preserve_index=False)
    if type(data).__name__ == "Series" and module.startswith("pandas"):
        return pa.table({data.name or name: pa.Array.from_pandas(data)})
    if isinstance(data, Mapping):
        try:
            return pa.table(dict(data))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise SchemaError(f"cannot read the dict of columns as Arrow data: {exc}") from exc
    if module == "numpy" and getattr(data, "ndim", 0) == 1:
        return pa.table({name: pa.array(data)})
    if hasattr(data, "__arrow_c_stream__"):
        return data
    if hasattr(data, "__arrow_c_array__"):
        return pa.table({name: pa.array(data)})
    raise TypeError(
        f"driftline cannot read {type(data).__name__!r}: pass Arrow data (pyarrow, polars), "
        "a pandas DataFrame, a dict of arrays, or an object with __arrow_c_stream__"
    )


#: polars types no Arrow reader accepts (polars exports them as its own ``_pli128``).
_POLARS_UNEXPORTABLE = ("Int128", "UInt128")


def _polars_table_like(data: Any, name: str, columns: Iterable[str] | None) -> Any:
    """A polars Series, DataFrame or LazyFrame as Arrow data: only the ``columns`` read
    (a LazyFrame computes only those), each of a type Arrow can carry."""
    if hasattr(data, "to_arrow") and not hasattr(data, "columns"):  # a Series
        _check_exportable(data.name or name, data.dtype)
        return pa.table({data.name or name: data.to_arrow()})
    lazy = hasattr(data, "collect") and not hasattr(data, "__arrow_c_stream__")
    schema = data.collect_schema() if lazy else data.schema
    names = list(schema.names())
    if columns is not None:
        wanted = set(columns)
        if wanted <= set(names):
            keep = [c for c in names if c in wanted]
        else:
            # An unknown name: the caller reports it with the columns available, so keep
            # every column but those that cannot be exported and are not read.
            keep = [c for c in names if c in wanted or _exportable(schema[c])]
        # Selecting no column would also drop the frame's row count: keep the frame then.
        if keep and len(keep) < len(names):
            data = data.select(keep)
            names = keep
    for column in names:
        _check_exportable(column, schema[column])
    return data.collect() if lazy else data


def _exportable(dtype: Any) -> bool:
    """False for a polars type that cannot cross the Arrow C data interface."""
    return type(dtype).__name__ not in _POLARS_UNEXPORTABLE


def _check_exportable(column: str, dtype: Any) -> None:
    """Refuses a polars column whose type cannot cross the Arrow C data interface."""
    if not _exportable(dtype):
        raise SchemaError(
            f"column {column!r} is a polars {dtype} column: 128-bit integers have no Arrow "
            "type driftline can read; cast it (to Int64, or Float64 for larger values) or "
            "leave it out with columns="
        )
