"""Profiling Parquet files by streaming their row groups.

Row groups are decoded by pyarrow on a small thread pool while the native core profiles
the previous ones (both release the GIL), at most ``2 * threads`` row groups in flight, so
memory stays bounded by a few row groups whatever the file size. Partial profiles are merged
in file and row-group order, so the result does not depend on timing.
"""

from __future__ import annotations

import glob
import os
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from driftline import _native
from driftline.exceptions import DataError, SchemaError
from driftline.profile import Profile

__all__ = ["parquet_files", "profile_parquet"]


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
    if cols is not None:
        schema_names = pq.read_schema(files[0]).names
        for c in read_cols or []:
            if c not in schema_names:
                raise SchemaError(
                    f"column '{c}' not found; available columns: {', '.join(schema_names)}"
                )
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
        empty = pq.read_schema(files[0]).empty_table()
        if read_cols is not None:
            empty = empty.select(read_cols)
        return Profile(_native.profile(empty, **kwargs))

    local = threading.local()

    def read(item: tuple[Path, int]) -> pa.Table:
        # Each thread keeps its own readers: a ParquetFile shared between threads can
        # deadlock inside pyarrow's read cache.
        path, i = item
        readers: dict[Path, pq.ParquetFile] = local.__dict__.setdefault("readers", {})
        if path not in readers:
            readers.clear()
            readers[path] = pq.ParquetFile(path)
        return readers[path].read_row_group(i, columns=read_cols, use_threads=False)

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
