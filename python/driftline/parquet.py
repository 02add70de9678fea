"""Profiling Parquet files by streaming their row groups.

Row groups are decoded by pyarrow on a small thread pool while the native core profiles
the previous ones (both release the GIL), at most ``2 * threads`` row groups in flight, so
memory stays bounded by a few row groups whatever the file size. Partial profiles are merged
in file and row-group order, so the result does not depend on timing.

Files whose schemas differ are read as ``pa.concat_tables(..., promote_options="permissive")``
would read them (see :func:`parquet_schema`): a column missing from a file is null there, and
types are promoted to a common one (``int32`` and ``int64`` to ``int64``, an integer and a
float to ``float64``).
"""

from __future__ import annotations

import glob
import os
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftline import _native
from driftline.exceptions import DataError, SchemaError
from driftline.profile import Profile

__all__ = ["ParquetSchema", "conform", "parquet_files", "parquet_schema", "profile_parquet"]


def parquet_files(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The Parquet files named by a path, a directory (searched recursively for
    ``*.parquet``), a glob pattern, or a list of those; sorted, de-duplicated."""
    items = [path] if isinstance(path, str | os.PathLike) else list(path)
    out: list[Path] = []
    for item in items:
        s = os.fspath(item)
        p = Path(s)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.parquet") if q.is_file()))
        elif any(ch in s for ch in "*?["):
            out.extend(sorted(Path(m) for m in glob.glob(s, recursive=True) if Path(m).is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no Parquet file or directory at {s!r}")
    seen: set[Path] = set()
    unique = [p for p in out if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    if not unique:
        raise FileNotFoundError(f"no Parquet files found for {path!r}")
    return unique


@dataclass(frozen=True)
class ParquetSchema:
    """The schema of several Parquet files: each file's own, and the one they are read as."""

    #: Each file's own schema, in file order.
    per_file: Mapping[Path, pa.Schema]
    #: The permissive union of the files' schemas, in order of first appearance.
    unified: pa.Schema

    def uniform(self, name: str) -> bool:
        """True when every file holds column ``name`` with the unified type."""
        idx = self.unified.get_field_index(name)
        if idx < 0:
            return False
        want = self.unified.field(idx).type
        for schema in self.per_file.values():
            i = schema.get_field_index(name)
            if i < 0 or schema.field(i).type != want:
                return False
        return True


def parquet_schema(
    files: Sequence[str | os.PathLike[str]], columns: Sequence[str] | None = None
) -> ParquetSchema:
    """The schema several Parquet files are read as: the union of their columns, each with
    the type ``pa.unify_schemas(..., promote_options="permissive")`` gives it.

    Only ``columns`` are unified when given (a conflict in a column nobody reads is not an
    error); a column absent from every file is simply not in the result.

    Raises
    ------
    DataError
        A file whose footer cannot be read.
    SchemaError
        A column whose types cannot be unified (a string in one file, a number in
        another); the message names the column and both files.
    """
    wanted = None if columns is None else set(columns)
    per_file: dict[Path, pa.Schema] = {}
    # name -> (unified field so far, first file holding the column, its type there)
    merged: dict[str, tuple[pa.Field, Path, pa.DataType]] = {}
    for path in map(Path, files):
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
        per_file[path] = schema
        for field in schema:
            if wanted is not None and field.name not in wanted:
                continue
            seen = merged.get(field.name)
            if seen is None:
                merged[field.name] = (field, path, field.type)
                continue
            try:
                # Field by field rather than whole schemas at once, to name the column and
                # the two files when the types conflict.
                unified = pa.unify_schemas(
                    [pa.schema([seen[0]]), pa.schema([field])], promote_options="permissive"
                ).field(0)
            except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
                raise SchemaError(
                    f"column {field.name!r} has types that cannot be unified: "
                    f"{seen[2]} in {seen[1]}, {field.type} in {path}"
                ) from exc
            merged[field.name] = (unified, seen[1], seen[2])
    unified_schema = pa.schema([field for field, _, _ in merged.values()])
    return ParquetSchema(per_file, unified_schema)


def conform(table: pa.Table, schema: pa.Schema, path: Path) -> pa.Table:
    """``table`` (read from ``path``) with the columns of ``schema`` in its order: a column
    the file lacks is all null, the others are cast to the unified type."""
    arrays: list[pa.ChunkedArray | pa.Array] = []
    for field in schema:
        idx = table.schema.get_field_index(field.name)
        if idx < 0:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
        col = table.column(idx)
        if col.type != field.type:
            try:
                # A safe cast, as concat_tables does: an int64 beyond 2**53 that a float64
                # cannot hold is an error, not a silently rounded value.
                col = col.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataError(
                    f"{path}: column {field.name!r} cannot be read as {field.type} ({exc})"
                ) from exc
        arrays.append(col)
    return pa.table(arrays, names=schema.names)


def _row_groups(files: list[Path]) -> tuple[list[tuple[Path, int]], int]:
    """Every (file, row group) and the rows of all of them (from the footers)."""
    groups: list[tuple[Path, int]] = []
    rows = 0
    for f in files:
        try:
            meta = pq.ParquetFile(f).metadata
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{f}: not a readable Parquet file ({exc})") from exc
        groups += [(f, i) for i in range(meta.num_row_groups)]
        rows += meta.num_rows
    return groups, rows


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )
    progress.start()
    progress.add_task("profiling row groups", total=total)
    return progress


def profile_parquet(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    columns: Sequence[str] | None = None,
    *,
    categorical: Sequence[str] | None = None,
    edges: Mapping[str, Sequence[float]] | None = None,
    segment_by: str | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> Profile:
    """Profiles Parquet data row group by row group, with bounded memory.

    Parameters
    ----------
    path
        A file, a directory (all ``*.parquet`` below it), a glob, or a list of those.
    columns, categorical, edges, segment_by
        As for :func:`driftline.profile`. Quantile-bin histograms (``bins=``) need the
        whole column first and are not offered here; pass a reference's ``edges`` instead.
    threads
        Row groups decoded at once (default: the number of CPUs).
    progress
        Show a progress bar (default: when standard error is a terminal).

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os, driftline as dl
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "a.parquet")
    >>> pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), f, row_group_size=2)
    >>> dl.profile_parquet(f)["x"].mean
    2.0
    """
    files = parquet_files(path)
    groups, total_rows = _row_groups(files)
    n_threads = threads or os.cpu_count() or 1
    cols = None if columns is None else [str(c) for c in columns]
    read_cols = cols
    if cols is not None and segment_by is not None and segment_by not in cols:
        read_cols = [*cols, segment_by]
    schemas = parquet_schema(files, read_cols)
    if read_cols is not None:
        for c in read_cols:
            if c not in schemas.unified.names:
                available = sorted({n for s in schemas.per_file.values() for n in s.names})
                raise SchemaError(
                    f"column '{c}' not found in any of the {len(files)} file(s) "
                    f"({files[0]}{', ...' if len(files) > 1 else ''}); "
                    f"available columns: {', '.join(available)}"
                )
        # Every row group is read as these columns in this order, whatever its file holds.
        target = pa.schema([schemas.unified.field(c) for c in read_cols])
    else:
        target = schemas.unified
    kwargs: dict[str, Any] = {
        "columns": cols,
        "categorical": None if categorical is None else [str(c) for c in categorical],
        "edges": None
        if edges is None
        else {str(k): [float(e) for e in v] for k, v in edges.items()},
        "segment_by": segment_by,
        "threads": threads,
        # Each row group's sketches are sized for the whole scan they will be merged into.
        "expected_rows": total_rows,
    }
    if not groups:
        return Profile(_native.profile(target.empty_table(), **kwargs))

    local = threading.local()

    def read(item: tuple[Path, int]) -> pa.Table:
        # Each thread keeps its own readers: a ParquetFile shared between threads can
        # deadlock inside pyarrow's read cache.
        path, i = item
        readers: dict[Path, pq.ParquetFile] = local.__dict__.setdefault("readers", {})
        if path not in readers:
            readers.clear()
            readers[path] = pq.ParquetFile(path)
        own = schemas.per_file[path].names
        # Only the columns this file holds: pyarrow would silently skip the others, and
        # conform() adds them back as nulls of the unified type.
        present = [c for c in target.names if c in own]
        table = readers[path].read_row_group(i, columns=present, use_threads=False)
        return conform(table, target, path)

    bar = _progress(len(groups), progress)
    partials: list[Any] = []
    try:
        with ThreadPoolExecutor(
            max_workers=n_threads, thread_name_prefix="driftline-parquet"
        ) as pool:
            pending: deque[Future[pa.Table]] = deque()
            it = iter(groups)
            for item in it:
                pending.append(pool.submit(read, item))
                if len(pending) >= 2 * n_threads:
                    break
            while pending:
                table = pending.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(pool.submit(read, nxt))
                partials.append(_native.profile(table, **kwargs))
                del table
                # Merge as we go so that memory holds one running profile, not one per group.
                if len(partials) >= 8:
                    partials = [_native.merge_profiles(partials)]
                if bar is not None:
                    bar.advance(bar.task_ids[0])
    finally:
        if bar is not None:
            bar.stop()
    return Profile(_native.merge_profiles(partials))
