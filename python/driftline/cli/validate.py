"""``driftline validate DATA --rules rules.toml``: exit non-zero when a rule fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli.app import app
from driftline.cli.registry import console, emit, fail_on_error

__all__ = ["validate_cmd"]


@app.command("validate")
def validate_cmd(
    data: Annotated[Path, typer.Argument(help="Parquet file (or .csv) to validate.")],
    rules: Annotated[Path, typer.Option(help="TOML file of [[rules]].")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate data against rules; exit 1 if any rule fails."""
    from driftline.validation import validate

    with fail_on_error():
        if data.suffix.lower() == ".csv":
            import pyarrow.csv as pacsv

            report = validate(pacsv.read_csv(data), rules)
        else:
            report = validate(data, rules)
    if as_json:
        typer.echo(report.to_json())
    else:
        emit(
            report.results,
            ["rule", "column", "passed", "message"],
            as_json=False,
            title=f"validation of {data.name!r}: {'passed' if report.passed else 'FAILED'}",
        )
        if not report.passed:
            console.print(f"[red]{len(report.failures)} rule(s) failed[/red]")
    if not report.passed:
        raise typer.Exit(1)
