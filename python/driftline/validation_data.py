"""What validation rules read from the raw data when it is at hand (not only its profile):
exact integer extremes beyond 2**53, exact distinct counts, integer category codes. A
profile holds numbers as float64, so these checks would otherwise round."""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable
from typing import Any

__all__ = ["arrow_column", "exact_distinct", "integer_extremes", "integers_outside"]


def arrow_column(data: Any, column: str) -> Any:
    """The raw data's ``column`` as a pyarrow ChunkedArray, or None when only a profile is
    at hand (a Profile, a Parquet path) or pyarrow cannot take the data."""
    if data is None or hasattr(data, "to_bytes") or isinstance(data, os.PathLike):
        return None
    try:
        import pyarrow as pa

        table = pa.table(data) if not isinstance(data, pa.Table) else data
        return table.column(column)
    except Exception:  # an input pyarrow cannot take: the rule falls back to the profile
        return None


def exact_distinct(data: Any, column: str) -> int | None:
    raw = arrow_column(data, column)
    if raw is None:
        return None
    import pyarrow.compute as pc

    return int(pc.count_distinct(raw, mode="only_valid").as_py())


def integer_extremes(data: Any, column: str) -> tuple[int | None, int | None] | None:
    """The exact min and max of an integer column of the raw data (None each when it has
    no values); None when the data is not at hand or the column is not integer."""
    raw = arrow_column(data, column)
    import pyarrow as pa

    if raw is None or not pa.types.is_integer(raw.type):
        return None
    import pyarrow.compute as pc

    extremes = pc.min_max(raw).as_py()
    return extremes["min"], extremes["max"]


def integers_outside(raw: Any, allowed: Iterable[Any]) -> list[int] | None:
    """The distinct values of an integer Arrow column that are not ``allowed``, sorted;
    None when ``raw`` is not an integer column."""
    import pyarrow as pa

    if raw is None or not pa.types.is_integer(raw.type):
        return None
    import pyarrow.compute as pc

    # bool is an int in Python (True == 1): it is not an integer code.
    wanted = {
        int(v)
        for v in allowed
        if (isinstance(v, numbers.Integral) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    }
    distinct = pc.drop_null(pc.unique(raw)).to_pylist()
    return sorted(v for v in distinct if v not in wanted)
