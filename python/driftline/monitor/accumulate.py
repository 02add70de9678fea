"""The per-window accumulator: sharded buffers of small batches, profiled in bulk.

One-row dicts are appended to ``records`` under the monitor's short lock; small batches
go to a shard's list under the shard's own lock (threads spread over shards by thread id,
so they rarely contend). Every ``flush_rows`` rows a list is swapped out under its lock
and profiled outside it. Large batches are profiled directly, outside every lock (the
native profiler releases the GIL). At window close the remaining buffers are profiled and
every partial profile merged: merge is exact for counts, moments and histograms, so the
result equals a single-threaded run whatever the interleaving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from operator import itemgetter, methodcaller
from typing import Any

import pyarrow as pa

__all__ = ["WindowAccumulator", "concat_tables", "records_to_table"]

ProfileFn = Callable[[pa.Table, int], Any]


def records_to_table(
    records: list[dict[str, Any]], required: Sequence[str], columns: Sequence[str]
) -> pa.Table:
    """Dicts to columns with C-level iteration (itemgetter, zip), no Python loop over rows.

    ``required`` keys are in every record (checked on observe); the other ``columns`` are
    taken where present (None elsewhere) and dropped when absent from every record.
    """
    rows = list(map(itemgetter(*required), records))
    cols = [rows] if len(required) == 1 else list(zip(*rows, strict=True))
    data = {c: pa.array(v) for c, v in zip(required, cols, strict=True)}
    for c in columns:
        if c not in data:
            vals = list(map(methodcaller("get", c), records))
            if vals.count(None) != len(vals):
                data[c] = pa.array(vals)
    return pa.table(data)


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    """One table with one contiguous chunk per column (schemas unified when they differ)."""
    # Thousands of one-row chunks profile slowly: one contiguous chunk per column.
    if len(tables) == 1:
        return tables[0]
    try:
        # Same schema (the usual case): a plain concatenation, several times cheaper than
        # one that unifies schemas.
        return pa.concat_tables(tables).combine_chunks()
    except pa.ArrowInvalid:
        unified = [_without_views(t) for t in tables]
        return pa.concat_tables(unified, promote_options="permissive").combine_chunks()


def _without_views(table: pa.Table) -> pa.Table:
    """``table`` with string and binary view columns (polars' strings) as large strings
    and binaries: Arrow's schema promotion does not unify a view type with the plain
    ones, and batches from polars and from pyarrow meet in one window."""
    fields = []
    for f in table.schema:
        if pa.types.is_string_view(f.type):
            f = f.with_type(pa.large_string())
        elif pa.types.is_binary_view(f.type):
            f = f.with_type(pa.large_binary())
        fields.append(f)
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema)


class _Shard:
    __slots__ = ("lock", "outcomes", "profiles", "table_rows", "tables")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables: list[pa.Table] = []
        self.table_rows = 0
        self.profiles: list[Any] = []
        self.outcomes: list[pa.Table] = []


class WindowAccumulator:
    """The state of one open window.

    Parameters
    ----------
    key
        The window's key.
    profile_fn
        Profiles a table (the monitor binds columns and edges).
    to_table
        Turns a list of record dicts into a table (the monitor binds the schema), adding
        a finding to the window's quality list it is given for records it drops.
    outcome_columns
        Columns kept raw for performance and fairness (prediction, label, score,
        sensitive); empty to keep none.
    shards, flush_rows
        Number of shards and rows buffered per shard before a bulk profile.
    """

    def __init__(
        self,
        key: str,
        profile_fn: ProfileFn,
        to_table: Callable[[list[dict[str, Any]], list[dict[str, Any]]], pa.Table],
        outcome_columns: Sequence[str] = (),
        *,
        shards: int = 16,
        flush_rows: int = 4096,
    ) -> None:
        self.key = key
        self.rows = 0
        self._profiled_rows = 0
        self.inflight = 0
        self.full = False
        self.closing = False
        self.quality: list[dict[str, Any]] = []
        # One-row dicts, appended under the monitor's lock (see Monitor._observe_record).
        self.records: list[dict[str, Any]] = []
        self._profile = profile_fn
        self._to_table = to_table
        self._outcomes = list(outcome_columns)
        self._shards = [_Shard() for _ in range(shards)]
        self._flush_rows = flush_rows

    def _shard(self) -> _Shard:
        return self._shards[threading.get_ident() % len(self._shards)]

    def _keep_outcomes(self, shard: _Shard, table: pa.Table) -> None:
        if self._outcomes:
            cols = [c for c in self._outcomes if c in table.column_names]
            if cols:
                shard.outcomes.append(table.select(cols))

    def add_table(self, table: pa.Table) -> None:
        """Add a batch: buffered when small, profiled now when large."""
        if table.num_rows == 0:
            # Nothing to profile (all of a batch's records dropped): no columns either.
            return
        shard = self._shard()
        if table.num_rows >= self._flush_rows:
            self._add_profiled(shard, table)
            return
        with shard.lock:
            shard.tables.append(table)
            shard.table_rows += table.num_rows
            if shard.table_rows < self._flush_rows:
                return
            tables, shard.tables, shard.table_rows = shard.tables, [], 0
        self._add_profiled(shard, concat_tables(tables))

    def _add_profiled(self, shard: _Shard, table: pa.Table) -> None:
        # The window's rows so far, this batch included, size the quantile sketches'
        # sampler: never more than the window will hold once merged. (Unlocked: a lost
        # update only undercounts, which samples less.)
        self._profiled_rows += table.num_rows
        p = self._profile(table, self._profiled_rows)
        with shard.lock:
            shard.profiles.append(p)
            self._keep_outcomes(shard, table)

    def finish(self) -> tuple[list[Any], pa.Table | None]:
        """Profile what is left; every partial profile and the outcome rows (if any)."""
        profiles: list[Any] = []
        outcomes: list[pa.Table] = []
        records, self.records = self.records, []
        table = self._to_table(records, self.quality) if records else None
        if table is not None and table.num_rows:
            self._add_profiled(self._shards[0], table)
        for shard in self._shards:
            with shard.lock:
                tables, shard.tables, shard.table_rows = shard.tables, [], 0
            if tables:
                self._add_profiled(shard, concat_tables(tables))
            profiles.extend(shard.profiles)
            outcomes.extend(shard.outcomes)
        out = pa.concat_tables(outcomes, promote_options="permissive") if outcomes else None
        return profiles, out
