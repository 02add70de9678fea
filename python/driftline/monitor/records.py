"""A monitor's pending records (dicts, and one-row tables already checked) as one table.

Records whose values do not fit the reference (a string for a numeric feature, an integer
beyond int64) are dropped with the reasons, never a crash in another caller's observe,
and the others kept. They are only checked one by one when a batch of them fails to
convert, so that observe stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from driftline.monitor.accumulate import concat_tables, records_to_table
from driftline.monitor.quality import record_problem, schema_problems

__all__ = ["kind_problems", "records_table", "records_to_window_table"]

_CONVERSION = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError)


def records_table(
    records: list[dict[str, Any] | pa.Table], required: Sequence[str], keep: Sequence[str]
) -> pa.Table:
    """The records as one table (dicts turned into columns, tables concatenated)."""
    dicts = [r for r in records if isinstance(r, dict)]
    if len(dicts) == len(records):
        return records_to_table(dicts, required, keep)
    tables = [r for r in records if not isinstance(r, dict)]
    if dicts:
        tables.append(records_to_table(dicts, required, keep))
    return concat_tables(tables)


def kind_problems(table: pa.Table, kinds: dict[str, str]) -> list[str]:
    """Columns of ``table`` whose kind differs from the reference's."""
    names = set(table.column_names)
    return schema_problems(table.schema, [c for c in kinds if c in names], kinds)


def records_to_window_table(
    records: list[dict[str, Any] | pa.Table],
    required: Sequence[str],
    keep: Sequence[str],
    kinds: dict[str, str],
) -> tuple[pa.Table, str | None]:
    """The records that fit as one table, and the finding of those dropped (None when
    every record fits)."""
    try:
        table = records_table(records, required, keep)
        problems = kind_problems(table, kinds)
        if not problems:
            return table, None
    except _CONVERSION as exc:
        problems = [str(exc)]
    kept = []
    why: dict[str, None] = {}  # each distinct reason once, in order
    for r in records:
        problem = record_problem(r, kinds) if isinstance(r, dict) else None
        if problem is None:
            kept.append(r)
        else:
            why[problem] = None
    if why:
        # The records' own reasons name the column; Arrow's error does not.
        problems = list(why)[:5]
    table = pa.table({})
    try:
        if kept:
            table = records_table(kept, required, keep)
            if kind_problems(table, kinds):
                kept, table = [], pa.table({})
    except _CONVERSION as exc:
        problems.append(str(exc))
        kept, table = [], pa.table({})
    dropped = f"{len(records) - len(kept)} of {len(records)} records dropped: "
    return table, dropped + "; ".join(problems)
