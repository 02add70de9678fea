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
    """One table with one contiguous chunk per column (schemas unified when they differ).

    Batches of one window come from different callers and need not agree on types:
    dictionary columns (pandas categories) join their value type, string and binary views
    (polars) the large types, and a numeric column that is integer in one batch and
    floating (or boolean) in another becomes float64. Every such batch passed the schema
    check against the reference, so concatenating them must not fail.
    """
    # Thousands of one-row chunks profile slowly: one contiguous chunk per column.
    if len(tables) == 1:
        return tables[0]
    try:
        # Same schema (the usual case): a plain concatenation, several times cheaper than
        # one that unifies schemas.
        return pa.concat_tables(tables).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    plain = [_cast(t, _plain_type) for t in tables]
    floats = _mixed_numeric(plain)
    if floats:
        plain = [_cast(t, lambda f: pa.float64() if f.name in floats else f.type) for t in plain]
    return pa.concat_tables(plain, promote_options="permissive").combine_chunks()


def _plain_type(f: pa.Field) -> pa.DataType:
    """A field's type with dictionaries decoded and views as large types: Arrow's schema
    promotion unifies neither with the plain types they stand for."""
    t = f.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string_view(t):
        return pa.large_string()
    if pa.types.is_binary_view(t):
        return pa.large_binary()
    return t


def _mixed_numeric(tables: list[pa.Table]) -> set[str]:
    """Columns that are numeric (or boolean) with types Arrow cannot promote exactly:
    integers with floats or booleans, uint64 with signed integers. Arrow's permissive
    promotion would cast them with a safe cast, which fails on an integer beyond 2**53;
    they become float64 instead, as numpy does (the nearest double)."""
    types: dict[str, set[pa.DataType]] = {}
    for t in tables:
        for f in t.schema:
            if not pa.types.is_null(f.type):
                types.setdefault(f.name, set()).add(f.type)
    out = set()
    for name, ts in types.items():
        if len(ts) < 2:
            continue
        ints = [t for t in ts if pa.types.is_integer(t)]
        numeric = all(
            pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) for t in ts
        )
        if not numeric:
            continue
        if len(ints) == len(ts):
            unsigned64 = any(t == pa.uint64() for t in ints)
            if not (unsigned64 and any(pa.types.is_signed_integer(t) for t in ints)):
                continue  # integers of several widths: promoted exactly
        out.add(name)
    return out


def _cast(table: pa.Table, type_of: Callable[[pa.Field], pa.DataType]) -> pa.Table:
    """``table`` with each field cast to ``type_of(field)`` (an unchanged table when no
    type changes). Unsafe: an integer beyond 2**53 rounds to the nearest float64."""
    fields = [f.with_type(type_of(f)) for f in table.schema]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema, safe=False)


class _Shard:
    __slots__ = ("lock", "outcomes", "profiles", "rows", "table_rows", "tables")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows = 0  # every row added, profiled or not: what a failed close reports
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
            with shard.lock:
                shard.rows += table.num_rows
            self._add_profiled(shard, table)
            return
        with shard.lock:
            shard.rows += table.num_rows
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

    @property
    def rows_added(self) -> int:
        """Rows added so far (records still pending and records dropped not counted)."""
        return sum(s.rows for s in self._shards)

    def finish(self) -> tuple[list[Any], pa.Table | None]:
        """Profile what is left; every partial profile and the outcome rows (if any)."""
        profiles: list[Any] = []
        outcomes: list[pa.Table] = []
        records, self.records = self.records, []
        table = self._to_table(records, self.quality) if records else None
        if table is not None and table.num_rows:
            with self._shards[0].lock:
                self._shards[0].rows += table.num_rows
            self._add_profiled(self._shards[0], table)
        for shard in self._shards:
            with shard.lock:
                tables, shard.tables, shard.table_rows = shard.tables, [], 0
            if tables:
                self._add_profiled(shard, concat_tables(tables))
            profiles.extend(shard.profiles)
            outcomes.extend(shard.outcomes)
        out = concat_tables(outcomes) if outcomes else None
        return profiles, out
