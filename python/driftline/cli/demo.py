"""``driftline demo``: the guided scenario on synthetic data (see :mod:`driftline.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from driftline.cli.app import app
from driftline.cli.profile_cmd import wide_width
from driftline.demo.steps import DemoContext, run_demo

__all__ = ["demo_command"]


@app.command("demo")
def demo_command(
    rows: Annotated[
        int, typer.Option("--rows", min=1, help="Rows of synthetic sales data.")
    ] = 1_000_000,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for everything the demo writes.")
    ] = Path("demo-output"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the data.")] = 7,
) -> None:
    """Generate a day of retail sales, write it as Parquet, profile it and save the profile."""
    console = Console(width=wide_width())
    console.print(
        f"[bold]driftline demo[/bold]: {rows:,} rows of retail sales into {out.resolve()}"
    )
    run_demo(DemoContext(out=out, rows=rows, seed=seed, console=console))
