"""``driftline profile DATA``: profile a file and print the summary as a table.

Also holds :func:`profile_table`, the rich rendering of a profile that ``driftline demo``
prints.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

import driftline as dl
from driftline.cli.app import app
from driftline.cli.files import ARROW_SUFFIXES, read_arrow_file, read_csv
from driftline.cli.registry import fail_on_error

__all__ = ["format_value", "profile_table", "wide_width"]

_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
# Logical types as the profile names them: ``timestamp(ms, "utc")`` (or arrow's
# ``timestamp[ms, tz=UTC]`` form).
_TIMESTAMP = re.compile(r"^timestamp[\[(](s|ms|us|ns)\b")


def _seconds_per_unit(dtype: str) -> float | None:
    m = _TIMESTAMP.match(dtype)
    return _TIME_UNITS[m.group(1)] if m else None


def format_value(value: float | None, dtype: str = "", *, spread: bool = False) -> str:
    """A short human form of a statistic: 4 significant digits, timestamps as date-times
    (and their spreads as durations); ``-`` for a missing value.

    Examples
    --------
    >>> format_value(1234.5678), format_value(None), format_value(3.0)
    ('1234.6', '-', '3')
    >>> format_value(1.5e12, 'timestamp(ms, "utc")')
    '2017-07-14 02:40'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    unit = _seconds_per_unit(dtype)
    if unit is not None and math.isfinite(value):
        if spread:
            return str(timedelta(seconds=round(value * unit)))
        return datetime.fromtimestamp(value * unit, tz=UTC).strftime("%Y-%m-%d %H:%M")
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return f"{value:.4g}"
    return f"{value:.{max(4 - len(str(int(abs(value)))), 1)}f}"


def profile_table(p: dl.Profile, *, title: str | None = None) -> Table:
    """The profile summary as a rich table: a row per column with its kind, count, nulls,
    mean, std, median (p50) and distinct count. Timestamps show as UTC date-times."""
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("column", style="cyan", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for name in ("count", "nulls", "mean", "std", "p50", "distinct"):
        table.add_column(name, justify="right", no_wrap=True)
    for c in p:
        numeric = c.quantile_rank_error is not None
        p50 = c.quantile(0.5) if numeric and c.count > c.nan_count else None
        is_time = _seconds_per_unit(c.dtype) is not None
        table.add_row(
            c.name,
            "timestamp" if is_time else c.kind,
            f"{c.count:,}",
            f"{c.null_count:,}",
            format_value(c.mean, c.dtype) if numeric else "-",
            format_value(c.std, c.dtype, spread=True) if numeric else "-",
            format_value(p50, c.dtype),
            f"{min(c.distinct(), c.count):,}",
        )
    return table


def wide_width() -> int | None:
    """Console width for tables: the terminal's, or 120 columns when output is piped (rich
    would otherwise squeeze the table into 80)."""
    return None if Console().is_terminal else 120


def _load(data: str, columns: list[str] | None) -> dl.Profile:
    path = Path(data)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return dl.profile(read_csv(path), columns=columns)
    if suffix in ARROW_SUFFIXES:
        return dl.profile(read_arrow_file(path), columns=columns)
    return dl.profile_parquet(data, columns=columns)


@app.command("profile")
def profile_command(
    data: Annotated[
        str,
        typer.Argument(help="Parquet file, directory or glob; or a .csv / .arrow file."),
    ],
    columns: Annotated[
        str | None, typer.Option("--columns", "-c", help="Comma-separated columns to profile.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the profile summary as JSON here.")
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="Also save the profile bytes (.dlprof) here.")
    ] = None,
) -> None:
    """Profile DATA and print a summary table (exit 2 when a file cannot be read or
    written)."""
    console = Console(width=wide_width())
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    with fail_on_error():
        p = _load(data, cols)
    console.print(profile_table(p, title=f"{data}: {p.row_count:,} rows"))
    with fail_on_error():
        if json_out is not None:
            json_out.write_text(p.to_json(indent=2), encoding="utf-8")
            console.print(f"summary written to {json_out}")
        if save is not None:
            save.write_bytes(p.to_bytes())
            console.print(f"profile saved to {save}")
