"""Turning what users pass into Arrow streams the native module reads (zero-copy).

Accepted: anything with ``__arrow_c_stream__`` that yields record batches (pyarrow Table,
RecordBatch, RecordBatchReader, polars DataFrame, DuckDB and others), single columns
(pyarrow Array and ChunkedArray, polars Series, numpy arrays), pandas DataFrames and dicts
of arrays. No Python loop over rows and no copy into numpy happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def to_table_like(data: Any, *, name: str = "value") -> Any:
    """Returns an object whose ``__arrow_c_stream__`` yields record batches.

    Parameters
    ----------
    data
        The user's data.
    name
        Column name given to a single unnamed column (an array or a series).
    """
    if isinstance(data, pa.Table | pa.RecordBatchReader):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.Array | pa.ChunkedArray):
        return pa.table({name: data})
    module = type(data).__module__
    if module.startswith("polars"):
        if hasattr(data, "to_arrow") and not hasattr(data, "columns"):  # a Series
            return pa.table({data.name or name: data.to_arrow()})
        if hasattr(data, "collect") and not hasattr(data, "__arrow_c_stream__"):  # LazyFrame
            return data.collect()
        return data
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
