"""``driftline validate DATA --rules rules.toml``: exit non-zero when a rule fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli.app import app
from driftline.cli.files import read_csv
from driftline.cli.registry import console, emit, fail_on_error

__all__ = ["validate_cmd"]


@app.command("validate")
def validate_cmd(
    data: Annotated[Path, typer.Argument(help="Parquet file (or .csv) to validate.")],
    rules: Annotated[Path, typer.Option(help=r"TOML file of \[\[rules]].")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate data against rules; exit 1 if any rule fails, 2 if a file cannot be read."""
    from driftline.validation import validate

    # A file that cannot be read is exit status 2, one line: status 1 means "a rule failed".
    with fail_on_error():
        report = validate(read_csv(data) if data.suffix.lower() == ".csv" else data, rules)
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
