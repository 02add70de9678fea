"""Profiles of a Spark DataFrame that is a plain scan of local Parquet files, read by the
executors straight from the files.

Through ``mapInArrow`` Spark first exports every row to Arrow and ships it to the Python
worker; on a 2-core machine that export alone takes a fifth of the time of Spark SQL's own
aggregations (see docs/distributed.md). When the DataFrame is nothing but a scan of
Parquet files (no filter, join or computed column: its optimised plan is a bare file
relation), the executors can read the same rows from the files with pyarrow instead, one
task per group of row groups, and ship the same partial profiles. Anything else (other
formats, remote filesystems, partitioned directories whose key columns are not in the
files, temporal or decimal columns, whose Spark values differ from the file's) goes through
``mapInArrow`` as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow as pa
import pyarrow.parquet as pq

from driftline.distributed._common import ProfileSpec, partial_from_batches
from driftline.exceptions import DriftlineError
from driftline.parquet import parquet_schema

__all__ = ["parquet_scan_files", "profile_tasks", "run_file_tasks"]

#: Row groups per Spark task at most (more tasks than cores keep the cores busy).
_TASKS_PER_CORE = 2


def _local_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file") or parsed.netloc not in ("", "localhost"):
        return None
    return unquote(parsed.path)


def _plain_type(t: pa.DataType) -> bool:
    # Types whose values Spark hands to Arrow unchanged; temporal and decimal columns are
    # converted (units, time zones, precision) and go through mapInArrow instead.
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
    )


#: The Spark types a plain Arrow type of the files is read as, by kind.
_SPARK_KINDS: dict[str, frozenset[str]] = {
    "integer": frozenset({"tinyint", "smallint", "int", "bigint"}),
    "floating": frozenset({"float", "double"}),
    "boolean": frozenset({"boolean"}),
    "string": frozenset({"string"}),
}


def _same_kind(t: pa.DataType, spark_type: str | None) -> bool:
    # A frame read with a user-given schema may hold a column of another kind than the
    # files (an integer column read as a string): Spark converts it, the file tasks would not.
    if pa.types.is_integer(t):
        kind = "integer"
    elif pa.types.is_floating(t):
        kind = "floating"
    elif pa.types.is_boolean(t):
        kind = "boolean"
    else:
        kind = "string"
    return spark_type in _SPARK_KINDS[kind]


def _scanned_files(df: Any, relation: Any) -> list[str]:
    """Every file the scan reads, once per time it reads it.

    ``DataFrame.inputFiles()`` lists each file once, but Spark reads a file once per
    listing: ``spark.read.parquet(d, d)`` reads every row twice. The file index's
    ``allFiles()`` keeps the repeats; it is walked only when its length says there are
    some (a Py4J call per file).
    """
    uris = [str(u) for u in df.inputFiles()]
    listed = relation.location().allFiles()
    if int(listed.length()) == len(uris):
        return uris
    return [str(listed.apply(i).getPath().toUri().toString()) for i in range(listed.length())]


def parquet_scan_files(df: Any, columns: Sequence[str]) -> list[str] | None:
    """The local Parquet files of ``df`` when it is a bare scan of them in which every file
    holds every column of ``columns`` with the same plain type, the one of the frame; None
    otherwise (or when Spark cannot say)."""
    try:
        plan = df._jdf.queryExecution().optimizedPlan()
        if plan.getClass().getSimpleName() != "LogicalRelation":
            return None
        relation = plan.relation()
        if relation.getClass().getSimpleName() != "HadoopFsRelation":
            return None
        if "parquet" not in str(relation.fileFormat().toString()).lower():
            return None
        if relation.partitionSchema().length() > 0:
            return None  # key columns live in directory names, not in the files
        uris = _scanned_files(df, relation)
        spark_types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    except Exception:  # Spark Connect, another Spark version: the general path
        return None
    paths = [_local_path(u) for u in uris]
    if not paths or any(p is None for p in paths):
        return None
    files = sorted(p for p in paths if p is not None)
    try:
        schemas = parquet_schema(files, columns)
    except DriftlineError:  # an unreadable footer, types that conflict: let Spark decide
        return None
    for name in columns:
        # Every file, not the first only: with mergeSchema (or a user-given schema) a column
        # may be missing from some files, which Spark reads as nulls and the file tasks
        # would not, or have another type in some, which Spark converts.
        if not schemas.uniform(name):
            return None
        file_type = schemas.unified.field(name).type
        if not _plain_type(file_type) or not _same_kind(file_type, spark_types.get(name)):
            return None
    return files


def profile_tasks(files: Sequence[str], parallelism: int) -> list[list[tuple[str, int]]]:
    """``(file, row group)`` pairs in at most ``parallelism * 2`` tasks, in file order."""
    pairs = [(f, rg) for f in files for rg in range(pq.ParquetFile(f).num_row_groups)]
    if not pairs:
        return []
    n = max(1, min(len(pairs), parallelism * _TASKS_PER_CORE))
    size = -(-len(pairs) // n)
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def scan_rows(files: Sequence[str]) -> int:
    """Rows of the scanned files, from their footers."""
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def _batches(task: Sequence[tuple[str, int]], columns: list[str]) -> Iterator[pa.RecordBatch]:
    opened: dict[str, pq.ParquetFile] = {}
    for path, rg in task:
        if path not in opened:
            opened[path] = pq.ParquetFile(path)
        yield from opened[path].read_row_group(rg, columns=columns).to_batches()


def run_file_tasks(
    spark: Any, tasks: list[list[tuple[str, int]]], columns: list[str], spec: ProfileSpec
) -> list[bytes | None]:
    """Runs one Spark task per group of row groups; their serialised partials."""

    def one(task: list[tuple[str, int]]) -> bytes | None:
        return partial_from_batches(_batches(task, columns), spec)

    rdd = spark.sparkContext.parallelize(tasks, len(tasks))
    return list(rdd.map(one).collect())
