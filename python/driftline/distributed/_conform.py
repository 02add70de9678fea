"""Partitions made to look like the whole frame before they are profiled.

An engine's partitions need not carry the frame's types: a Dask partition may hold
``int64`` where the frame's meta (what ``compute()`` gives) is ``float64``, or ``float64``
NaN where a string column had no value in that partition; a Ray block may hold the types
it was created with while the Dataset's schema is their unification. Profiled as they
come, such partitions count ``1`` and ``1.0`` as two categories, or refuse to merge
(a string column numeric in one partial). Each partition is converted to the frame's
types first, as the single-machine call on all the rows sees them.

The current side of a distributed comparison is also read as the reference was
(:func:`driftline.drift.align.align_table`), partition by partition.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from driftline._arrow import to_table

__all__ = ["align_data", "conform_pandas", "conform_table"]


def conform_pandas(part: Any, dtypes: Mapping[str, Any]) -> Any:
    """A pandas partition with the dtypes of its frame's meta (``dtypes``: column ->
    dtype), column by column.

    A column that will not convert (the meta claims ``int64`` where a partition holds
    NaN) is left as it is: ``compute()`` would not give the meta's dtype either, but the
    concatenation of the partitions, which the profile merge then mirrors.
    """
    for name, dtype in dtypes.items():
        if name not in part.columns or part.dtypes[name] == dtype:
            continue
        try:
            converted = part[name].astype(dtype)
        except (TypeError, ValueError):
            continue
        part = part.assign(**{name: converted})
    return part


def conform_table(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """``table`` with the types of ``schema`` (a Ray Dataset's unified schema), column by
    column; a column that does not cast safely, or that ``schema`` does not hold, is left
    as it is (the merge then reports the conflict, naming the column)."""
    if schema is None:
        return table
    for i, name in enumerate(table.column_names):
        index = schema.get_field_index(name)
        if index < 0:
            continue
        target = schema.field(index).type
        col = table.column(i)
        if col.type == target:
            continue
        try:
            cast = col.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
        table = table.set_column(i, name, cast)
    return table


def _aligned_batches(
    reader: pa.RecordBatchReader, types: Mapping[str, tuple[str, str]]
) -> Iterator[pa.RecordBatch]:
    from driftline.drift.align import align_table

    for batch in reader:
        yield from align_table(pa.Table.from_batches([batch]), types)[0].to_batches()


def align_data(data: Any, types: Mapping[str, tuple[str, str]]) -> Any:
    """``data`` (a table or a stream of batches) read as the reference was: ``types`` is
    column -> (reference dtype, reference kind), as :func:`driftline.compare` passes it to
    :func:`~driftline.drift.align.align_table`.

    A stream stays a stream, aligned batch by batch; its schema is the alignment of an
    empty table of the stream's schema (a cast's result type depends on the types only).
    """
    from driftline.drift.align import align_table

    if not types:
        return data
    if not isinstance(data, pa.RecordBatchReader):
        return align_table(to_table(data), types)[0]
    schema = align_table(data.schema.empty_table(), types)[0].schema
    return pa.RecordBatchReader.from_batches(schema, _aligned_batches(data, types))
