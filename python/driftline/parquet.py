"""Profiling Parquet files by streaming their row groups in batches.

Row groups are decoded by pyarrow and profiled by the native core on a small thread pool
(both release the GIL), each in batches of :data:`BATCH_ROWS` rows, so memory stays bounded
by a few batches per thread whatever the file or row-group size. Partial profiles are merged
in file, row-group and batch order, so the result does not depend on timing.

Files whose schemas differ are read as ``pa.concat_tables(..., promote_options="permissive")``
would read them (see :func:`parquet_schema`): a column missing from a file is null there, and
types are promoted to a common one (``int32`` and ``int64`` to ``int64``, an integer and a
float to ``float64``, a dictionary and its values' type to the latter).

A directory is read as ``pq.read_table`` reads it (see :func:`parquet_files`): hidden and
``_``-prefixed paths are skipped, and hive partition keys (``region=eu/``) are columns.
"""

from __future__ import annotations

import glob
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftline import _native
from driftline.exceptions import DataError, SchemaError
from driftline.profile import Profile, _check_int

# PartitionedPath derives from the concrete class: pathlib.Path itself cannot be
# subclassed before Python 3.12.
if sys.platform == "win32":
    from pathlib import WindowsPath as _ConcretePath
else:
    from pathlib import PosixPath as _ConcretePath

__all__ = [
    "BATCH_ROWS",
    "IGNORED_PREFIXES",
    "ParquetSchema",
    "PartitionedPath",
    "conform",
    "parquet_files",
    "parquet_schema",
    "profile_parquet",
]

#: Rows decoded at once from a row group too large to read whole: memory is bounded by a
#: few such batches per thread, whatever the row groups' size.
BATCH_ROWS = 65_536
#: Uncompressed bytes of a row group above which it is streamed in batches; below, it is
#: read whole with pyarrow's pre-buffering (about twice as fast on ordinary row groups).
LARGE_GROUP_BYTES = 128 << 20
#: Bytes read from a column chunk at once (pyarrow's buffered stream).
READ_BUFFER = 1 << 20
#: Path parts that directory discovery skips, as ``pq.read_table`` does (pyarrow's default
#: ``ignore_prefixes``): Spark's ``_temporary/`` and ``_SUCCESS``, hidden ``.crc`` files.
IGNORED_PREFIXES = (".", "_")


class PartitionedPath(_ConcretePath):
    """A Parquet file found below a hive-partitioned directory (``.../region=eu/...``).

    ``partition_schema`` holds the partition keys of the whole directory, typed as
    ``pq.read_table`` types them (a dictionary of ``int32`` or ``string`` values), and
    ``partition_keys`` this file's values (a key it lacks is null). The keys are columns of
    every row of the file, as ``pq.read_table(directory)`` makes them.
    """

    partition_schema: pa.Schema
    partition_keys: dict[str, Any]


def _partition(path: Path) -> tuple[pa.Schema, dict[str, Any]] | None:
    """The hive partition schema and key values of a file (None: not partitioned)."""
    schema = getattr(path, "partition_schema", None)
    if schema is None:
        return None
    return schema, getattr(path, "partition_keys", {})


def _directory_files(root: Path) -> list[Path]:
    """The ``*.parquet`` files below ``root`` that ``pq.read_table(root)`` would read, with
    their hive partition keys when a directory below ``root`` is named ``key=value``."""
    files = sorted(
        q
        for q in root.rglob("*.parquet")
        if not any(part.startswith(IGNORED_PREFIXES) for part in q.relative_to(root).parts)
        and q.is_file()
    )
    if not any("=" in part for q in files for part in q.relative_to(root).parts[:-1]):
        return files
    import pyarrow.dataset as ds

    try:
        # pyarrow infers the keys' types from every file's directories (as read_table does,
        # dictionary-encoded); it reads the first file's footer for the data schema.
        dataset = ds.dataset(
            [str(f) for f in files],
            format="parquet",
            partitioning=ds.HivePartitioning.discover(infer_dictionary=True),
            partition_base_dir=str(root),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{root}: not a readable Parquet dataset ({exc})") from exc
    schema = dataset.partitioning.schema
    keys = {
        fragment.path: ds.get_partition_keys(fragment.partition_expression)
        for fragment in dataset.get_fragments()
    }
    out: list[Path] = []
    for f in files:
        pf = PartitionedPath(f)
        pf.partition_schema = schema
        pf.partition_keys = dict(keys.get(str(f), {}))
        out.append(pf)
    return out


def parquet_files(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The Parquet files named by a path, a directory, a glob pattern, or a list of those;
    de-duplicated (by real path: a symbolic link or a ``..`` does not count a file twice).

    A directory is searched recursively for ``*.parquet`` as ``pq.read_table`` reads it:
    paths with a part starting with ``_`` or ``.`` are skipped, and the files below
    ``key=value`` directories are :class:`PartitionedPath` (their keys become columns).
    A name that is an existing file is that file, even if it holds ``[``, ``*`` or ``?``.
    """
    items = [path] if isinstance(path, str | os.PathLike) else list(path)
    out: list[Path] = []
    for item in items:
        s = os.fspath(item)
        # A Path stays itself: a PartitionedPath from an earlier call keeps its keys.
        p = item if isinstance(item, Path) else Path(s)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out.extend(_directory_files(p))
        elif any(ch in s for ch in "*?["):
            out.extend(sorted(Path(m) for m in glob.glob(s, recursive=True) if Path(m).is_file()))
        else:
            raise FileNotFoundError(f"no Parquet file or directory at {s!r}")
    seen: set[str] = set()
    unique: list[Path] = []
    for p in out:
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            unique.append(p)
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


def _decoded(field: pa.Field) -> pa.Field:
    """``field`` with a dictionary type replaced by its value type."""
    if pa.types.is_dictionary(field.type):
        return field.with_type(field.type.value_type)
    return field


def _unify(a: pa.Field, b: pa.Field) -> pa.Field:
    """The permissive union of two fields' types (pa.unify_schemas), a dictionary read as
    its values when the two differ: polars writes categoricals as dictionaries, other
    writers the same strings plainly, and both are the same column."""
    if a.type != b.type and (pa.types.is_dictionary(a.type) or pa.types.is_dictionary(b.type)):
        a, b = _decoded(a), _decoded(b)
    return pa.unify_schemas([pa.schema([a]), pa.schema([b])], promote_options="permissive").field(0)


def _file_schema(path: Path, wanted: set[str] | None) -> pa.Schema:
    """A file's own schema followed by its hive partition keys (those it does not hold)."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    names = schema.names
    for name in dict.fromkeys(names):
        # Columns are read by name: a name held twice would be read as neither.
        if names.count(name) > 1 and (wanted is None or name in wanted):
            raise SchemaError(
                f"{path}: column {name!r} appears {names.count(name)} times; "
                "a column name must be unique within a file"
            )
    part = _partition(path)
    if part is not None:
        extra = [f for f in part[0] if f.name not in names]
        schema = pa.schema([*schema, *extra])
    return schema


def parquet_schema(
    files: Sequence[str | os.PathLike[str]], columns: Sequence[str] | None = None
) -> ParquetSchema:
    """The schema several Parquet files are read as: the union of their columns, each with
    the type ``pa.unify_schemas(..., promote_options="permissive")`` gives it.

    Only ``columns`` are unified when given (a conflict in a column nobody reads is not an
    error); a column absent from every file is simply not in the result. A column that is
    dictionary-encoded in one file and not in another (or with other index types) is read
    as its values' type. The hive partition keys of :class:`PartitionedPath` files are
    columns too.

    Raises
    ------
    DataError
        A file whose footer cannot be read.
    SchemaError
        A column whose types cannot be unified (a string in one file, a number in
        another); the message names the column and both files. A file holding a
        column name twice.
    """
    wanted = None if columns is None else set(columns)
    per_file: dict[Path, pa.Schema] = {}
    # name -> (unified field so far, first file holding the column, its type there)
    merged: dict[str, tuple[pa.Field, Path, pa.DataType]] = {}
    for path in (f if isinstance(f, Path) else Path(f) for f in files):
        schema = _file_schema(path, wanted)
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
                unified = _unify(seen[0], field)
            except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
                raise SchemaError(
                    f"column {field.name!r} has types that cannot be unified: "
                    f"{seen[2]} in {seen[1]}, {field.type} in {path}"
                ) from exc
            merged[field.name] = (unified, seen[1], seen[2])
    unified_schema = pa.schema([field for field, _, _ in merged.values()])
    return ParquetSchema(per_file, unified_schema)


def _constant(value: Any, type_: pa.DataType, n: int) -> pa.Array:
    """``n`` copies of a partition key's value (null when the file's path has none)."""
    if value is None:
        return pa.nulls(n, type_)
    if pa.types.is_dictionary(type_):
        values = pa.array([value], type_.value_type)
        indices = pa.repeat(pa.scalar(0, type_.index_type), n)
        return pa.DictionaryArray.from_arrays(indices, values)
    return pa.repeat(pa.scalar(value, type_), n)


def conform(table: pa.Table, schema: pa.Schema, path: Path) -> pa.Table:
    """``table`` (read from ``path``) with the columns of ``schema`` in its order: a column
    the file lacks is its hive partition key's value, or else all null; the others are cast
    to the unified type (a dictionary to its values' type)."""
    if not schema:
        # pa.table([]) would have no rows: the row count must survive a selection of none.
        return table.select([])
    part = _partition(path)
    keys = pa.schema([]) if part is None else part[0]
    arrays: list[pa.ChunkedArray | pa.Array] = []
    for field in schema:
        idx = table.schema.get_field_index(field.name)
        col: pa.ChunkedArray | pa.Array
        if idx >= 0:
            col = table.column(idx)
        elif part is not None and keys.get_field_index(field.name) >= 0:
            # In the partition's own type, then cast below as a file's column would be.
            key_type = keys.field(field.name).type
            col = _constant(part[1].get(field.name), key_type, table.num_rows)
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
            continue
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


def _whole_group(reader: pq.ParquetFile, i: int, columns: list[str]) -> Iterator[Any]:
    """Row group ``i`` read at once, as the one item of an iterator (a table)."""
    yield reader.read_row_group(i, columns=columns, use_threads=False)


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
        A file, a directory (the ``*.parquet`` below it that ``pq.read_table`` reads, hive
        partition keys included), a glob, or a list of those (:func:`parquet_files`).
    columns, categorical, edges, segment_by
        As for :func:`driftline.profile`. Quantile-bin histograms (``bins=``) need the
        whole column first and are not offered here; pass a reference's ``edges`` instead.
    threads
        Row groups decoded and profiled at once, an integer >= 1 (default: the number of
        CPUs).
    progress
        Show a progress bar (default: when standard error is a terminal).

    Raises
    ------
    DataError
        A file whose footer, or a row group whose pages, cannot be read (the message names
        the file and the row group).
    SchemaError
        See :func:`parquet_schema`; a column of ``columns`` in no file.
    InvalidParameter
        ``threads`` is not an integer >= 1.

    Examples
    --------
    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os, driftline as dl
    >>> d = tempfile.mkdtemp(); f = os.path.join(d, "a.parquet")
    >>> pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), f, row_group_size=2)
    >>> dl.profile_parquet(f)["x"].mean
    2.0
    """
    _check_int("threads", threads, 1)
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
        # Each batch's sketches are sized for the whole scan they will be merged into.
        "expected_rows": total_rows,
    }
    if not groups:
        return Profile(_native.profile(target.empty_table(), **kwargs))

    local = threading.local()

    def profile_group(item: tuple[Path, int]) -> Any:
        # Each thread keeps its own readers: a ParquetFile shared between threads can
        # deadlock inside pyarrow's read cache.
        path, i = item
        readers: dict[tuple[Path, bool], pq.ParquetFile] = local.__dict__.setdefault("readers", {})
        if (path, False) not in readers:
            readers.clear()
            readers[path, False] = pq.ParquetFile(path)
        reader = readers[path, False]
        own = reader.schema_arrow.names
        # Only the columns this file holds: pyarrow would silently skip the others, and
        # conform() adds them back (hive keys, or nulls of the unified type).
        present = [c for c in target.names if c in own]
        batches: Iterator[Any]
        if reader.metadata.row_group(i).total_byte_size <= LARGE_GROUP_BYTES:
            batches = _whole_group(reader, i, present)
        else:
            # Batch by batch, so that memory holds a few batches, not a whole row group
            # (one row group may be the whole file). No pre-buffering, a buffered stream
            # instead: pre_buffer reads every column chunk of the row group at once.
            if (path, True) not in readers:
                readers[path, True] = pq.ParquetFile(
                    path, pre_buffer=False, buffer_size=READ_BUFFER
                )
            batches = readers[path, True].iter_batches(
                batch_size=BATCH_ROWS, row_groups=[i], columns=present, use_threads=False
            )
        partials: list[Any] = []
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowInvalid, OSError) as exc:
                raise DataError(f"{path}: row group {i} cannot be read ({exc})") from exc
            if batch is None:
                break
            table = conform(
                batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch]),
                target,
                path,
            )
            partials.append(_native.profile(table, **kwargs))
            del table, batch
            if len(partials) >= 8:
                partials = [_native.merge_profiles(partials)]
        if not partials:  # an empty row group still has the columns' types
            return _native.profile(target.empty_table(), **kwargs)
        return partials[0] if len(partials) == 1 else _native.merge_profiles(partials)

    bar = _progress(len(groups), progress)
    partials: list[Any] = []
    try:
        with ThreadPoolExecutor(
            max_workers=n_threads, thread_name_prefix="driftline-parquet"
        ) as pool:
            # Row groups are profiled on the pool, at most 2 * n_threads submitted at once,
            # and merged here in file and row-group order.
            pending: deque[Future[Any]] = deque()
            it = iter(groups)
            for item in it:
                pending.append(pool.submit(profile_group, item))
                if len(pending) >= 2 * n_threads:
                    break
            while pending:
                partial = pending.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(pool.submit(profile_group, nxt))
                partials.append(partial)
                # Merge as we go so that memory holds one running profile, not one per group.
                if len(partials) >= 8:
                    partials = [_native.merge_profiles(partials)]
                if bar is not None:
                    bar.advance(bar.task_ids[0])
    finally:
        if bar is not None:
            bar.stop()
    return Profile(_native.merge_profiles(partials))
