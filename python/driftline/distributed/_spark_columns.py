"""Spark columns on their way to a Python worker, and back to their own names and types.

Two things differ between what ``mapInArrow`` hands a worker and what ``toArrow()`` (the
empty frame, a collected reference) gives for the same columns:

* names: a name with a dot or a backtick is parsed as a path by ``mapInArrow`` (``a.b``
  is field ``b`` of ``a``). The columns are selected by their escaped name, aliased to
  positional names before ``mapInArrow``, and renamed back in the task;
* time zones: ``mapInArrow`` labels a timestamp with the session time zone
  (``Etc/UTC``, ``America/New_York``), ``toArrow()`` with ``UTC``; profiles of the two
  refuse to merge. Arrow timestamps are UTC instants whatever their label, so the task
  relabels them ``UTC`` (a cast of the type only, the values unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import pyarrow as pa

__all__ = ["positional", "quoted", "restore", "restore_schema"]

#: A record batch or a table: :func:`restore` gives back what it was given.
Data = TypeVar("Data", pa.RecordBatch, pa.Table)


def quoted(name: str) -> str:
    """``name`` as a Spark column reference: in backticks, a backtick doubled."""
    return "`" + name.replace("`", "``") + "`"


def _alias(i: int) -> str:
    return f"_driftline_{i}"


def positional(df: Any, names: Sequence[str]) -> Any:
    """The columns ``names`` of ``df``, aliased to positional names that ``mapInArrow``
    resolves whatever the original names hold."""
    return df.select(*[df[quoted(n)].alias(_alias(i)) for i, n in enumerate(names)])


def _utc(t: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(t) and t.tz is not None and t.tz != "UTC":
        return pa.timestamp(t.unit, tz="UTC")
    return t


def restore_schema(schema: pa.Schema, names: Sequence[str]) -> pa.Schema:
    """``schema`` of a :func:`positional` frame with the original ``names`` and its
    zoned timestamps labelled ``UTC``, as ``toArrow()`` gives them."""
    return pa.schema(
        [
            pa.field(n, _utc(f.type), f.nullable, f.metadata)
            for n, f in zip(names, schema, strict=True)
        ]
    )


def restore(data: Data, names: Sequence[str]) -> Data:
    """A batch (or table) of a :func:`positional` frame with the original ``names`` and
    ``UTC`` timestamps: what ``toArrow()`` gives for the same rows."""
    schema = restore_schema(data.schema, names)
    columns = [
        col if col.type == field.type else col.cast(field.type)
        for col, field in zip(data.columns, schema, strict=True)
    ]
    return type(data).from_arrays(columns, schema=schema)
