"""Turning ``compare``'s reference and current into profiles (and raw tables when at hand).

* raw data (anything :func:`driftline.profile` takes): kept as an Arrow table for exact
  statistics, and profiled; the reference on ``bins`` quantile bins per numeric column;
* a :class:`~driftline.Profile`: used as is;
* a path, glob, directory or list of Parquet files: streamed with
  :func:`driftline.profile_parquet` (bounded memory, never materialised);
* a path to a file written from ``Profile.to_bytes()``: read back.

The current side is profiled with the reference's bin edges, so both sides have exact
counts on the same bins whenever the current is data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftline._arrow import to_table
from driftline.drift.align import align_table, categorical_for_current
from driftline.exceptions import DataError, DriftlineError, InvalidParameter, SchemaError
from driftline.parquet import parquet_files, parquet_schema, profile_parquet
from driftline.profile import Profile, profile

__all__ = ["Side", "is_path", "load_current", "load_reference", "reference_edges"]


@dataclass
class Side:
    """One side of a comparison: its profile, and its raw table when at hand."""

    profile: Profile
    table: pa.Table | None
    source: str  # "data" | "profile" | "parquet"
    extra: dict[str, str] | None = None  # columns beyond the reference's: name -> type
    # Columns cast to read as the reference's (drift.align): name -> the type they came in.
    original_types: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows on this side."""
        return self.profile.row_count


def is_path(obj: Any) -> bool:
    """True for a path, or a list of paths."""
    if isinstance(obj, str | os.PathLike):
        return True
    return (
        isinstance(obj, list | tuple)
        and bool(obj)
        and all(isinstance(o, str | os.PathLike) for o in obj)
    )


def _saved_profile(obj: Any) -> Profile | None:
    if not isinstance(obj, str | os.PathLike):
        return None
    p = Path(obj)
    if not p.is_file():
        return None
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return None
    try:
        return Profile.from_bytes(p.read_bytes())
    except DriftlineError as exc:
        raise DataError(
            f"{p}: neither a Parquet file nor a saved driftline profile ({exc})"
        ) from exc


def _table(obj: Any, name: str) -> pa.Table:
    t = to_table(obj)
    if t.num_rows == 0:
        raise DataError(f"the {name} data has no rows: nothing to compare")
    return t


def _numeric_field(t: pa.DataType) -> bool:
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))


def _segmented(prof: Profile, segment_by: str | None, name: str) -> Profile:
    if segment_by is not None and prof.segment_by != segment_by:
        raise InvalidParameter(
            f"the {name} profile is segmented by {prof.segment_by!r}, not {segment_by!r}: "
            f"profile it with segment_by={segment_by!r}"
        )
    return prof


def _key_column(table: pa.Table, segment_by: str | None, name: str) -> None:
    if segment_by is not None and segment_by not in table.column_names:
        raise SchemaError(f"segment_by column {segment_by!r} is not in the {name} data")


def load_reference(
    obj: Any,
    columns: Sequence[str] | None,
    categorical: Sequence[str] | None,
    bins: int,
    threads: int | None,
    segment_by: str | None = None,
) -> Side:
    """Profiles (or reads) the reference side (per segment too with ``segment_by``: the
    key column is then not a feature)."""
    if isinstance(obj, Profile):
        return Side(_segmented(obj, segment_by, "reference"), None, "profile")
    saved = _saved_profile(obj)
    if saved is not None:
        return Side(_segmented(saved, segment_by, "reference"), None, "profile")
    if is_path(obj):
        prof = profile_parquet(
            obj,
            columns,
            categorical=categorical,
            segment_by=segment_by,
            threads=threads,
            progress=False,
        )
        if prof.row_count == 0:
            raise DataError("the reference data has no rows: nothing to compare")
        return Side(prof, None, "parquet")
    table = _table(obj, "reference")
    _key_column(table, segment_by, "reference")
    if columns is not None:
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise SchemaError(f"columns not in the reference: {missing}")
    if segment_by is not None:
        cols = [c for c in (columns or table.column_names) if c != segment_by]
        prof = profile(
            table.select([*cols, segment_by]),
            columns=cols,
            categorical=categorical,
            segment_by=segment_by,
            bins=bins,
            threads=threads,
        )
        return Side(prof, table.select(cols), "data")
    if columns is not None:
        table = table.select(list(columns))
    prof = profile(table, categorical=categorical, bins=bins, threads=threads)
    return Side(prof, table, "data")


def reference_edges(ref: Profile, bins: int) -> dict[str, list[float]]:
    """Bin edges per numeric reference column: its exact histogram's, else the sketch's
    ``bins``-quantiles."""
    out: dict[str, list[float]] = {}
    for col in ref.columns:
        stats = ref._inner.column_stats(col)
        if stats["kind"] != "numeric":
            continue
        if "histogram_edges" in stats:
            out[col] = [float(e) for e in stats["histogram_edges"]]
        elif stats["count"] > stats["nan_count"]:
            out[col] = [float(e) for e in ref._inner.quantile_edges(col, bins)]
    return out


def load_current(
    obj: Any,
    columns: Sequence[str],
    categorical: Sequence[str] | None,
    edges: Mapping[str, list[float]],
    threads: int | None,
    segment_by: str | None = None,
    reference_types: Mapping[str, tuple[str, str]] | None = None,
) -> Side:
    """Profiles (or reads) the current side on the reference's edges, read as the
    reference was (``reference_types``: column -> (dtype, kind) of the reference;
    :mod:`driftline.drift.align`)."""
    if isinstance(obj, Profile):
        return Side(_segmented(obj, segment_by, "current"), None, "profile")
    saved = _saved_profile(obj)
    if saved is not None:
        return Side(_segmented(saved, segment_by, "current"), None, "profile")
    ref_types = reference_types or {}
    kinds = {c: kind for c, (_dtype, kind) in ref_types.items()}
    key = () if segment_by is None else (segment_by,)
    if is_path(obj):
        files = parquet_files(obj)
        # Every file's schema, not the first's: a first file lacking a column (or holding
        # no rows at all) must not hide that column from the comparison.
        schema = parquet_schema(files).unified
        if segment_by is not None and segment_by not in schema.names:
            raise SchemaError(f"segment_by column {segment_by!r} is not in the current data")
        present = [c for c in columns if c in schema.names and c != segment_by]
        categorical = categorical_for_current(categorical, kinds, present)
        cat = set(categorical or ())
        e = {
            c: edges[c]
            for c in present
            if c in edges and c not in cat and _numeric_field(schema.field(c).type)
        }
        prof = profile_parquet(
            files,
            present,
            categorical=categorical,
            edges=e,
            segment_by=segment_by,
            threads=threads,
            progress=False,
        )
        if prof.row_count == 0:
            raise DataError("the current data has no rows: nothing to compare")
        extra = {f.name: str(f.type) for f in schema if f.name not in (*columns, *key)}
        return Side(prof, None, "parquet", extra)
    table = _table(obj, "current")
    _key_column(table, segment_by, "current")
    extra = {f.name: str(f.type) for f in table.schema if f.name not in (*columns, *key)}
    present = [c for c in columns if c in table.column_names and c != segment_by]
    categorical = categorical_for_current(categorical, kinds, present)
    cat = set(categorical or ())
    table, original = align_table(table, ref_types)
    keyed = table.select([*present, *key])
    table = table.select(present)
    e = {
        c: edges[c]
        for c in present
        if c in edges and c not in cat and _numeric_field(table.schema.field(c).type)
    }
    if segment_by is None:
        prof = profile(table, categorical=categorical, edges=e, threads=threads)
    else:
        prof = profile(
            keyed,
            columns=present,
            categorical=categorical,
            edges=e,
            segment_by=segment_by,
            threads=threads,
        )
    return Side(prof, table, "data", extra, original)
