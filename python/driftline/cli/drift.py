"""``driftline drift REFERENCE CURRENT``: compare two datasets; a CI gate.

Exit codes: 0 no drift (or drift without ``--fail-on-drift``), 1 drift with
``--fail-on-drift``, 2 bad usage, unreadable input or a report that cannot be written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli.app import app
from driftline.cli.registry import fail_on_error

__all__ = ["drift"]


if app.registered_callback is None:
    # Typer turns an app with a single command into that command; a root callback keeps
    # `driftline drift ...` a sub-command whatever else is registered.
    @app.callback()
    def _root() -> None:
        """Monitoring engine for machine-learning models in production."""


@app.command("drift")
def drift(
    reference: Annotated[str, typer.Argument(help="Parquet file/glob/dir or saved profile.")],
    current: Annotated[str, typer.Argument(help="Parquet file/glob/dir or saved profile.")],
    columns: Annotated[
        list[str] | None,
        typer.Option("--columns", "-c", help="Columns to compare (repeat or comma-separate)."),
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON report.")] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit with code 1 when drift is found.")
    ] = False,
    alpha: Annotated[float, typer.Option(help="Family-wise significance level.")] = 0.05,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
    segment_by: Annotated[
        str | None,
        typer.Option("--segment-by", help="Also compare per value of this key column."),
    ] = None,
) -> None:
    """Compare CURRENT with REFERENCE column by column and report drift."""
    import driftline as dl
    from driftline.exceptions import DriftlineError

    cols = None
    if columns:
        cols = [c.strip() for item in columns for c in item.split(",") if c.strip()]
    try:
        report = dl.compare(reference, current, columns=cols, alpha=alpha, segment_by=segment_by)
    except (DriftlineError, OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    # A report that cannot be written is exit status 2, one line: status 1 means drift.
    with fail_on_error():
        if html is not None:
            report.to_html(html)
        if json_out is not None:
            report.to_json(json_out, indent=2)
    if not quiet:
        report.summary()
        if segment_by is not None:
            from rich.console import Console

            from driftline.report.console import segments_table

            Console().print(segments_table(report))
    if report.drifted and fail_on_drift:
        raise typer.Exit(1)
