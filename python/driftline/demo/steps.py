"""The demo as a list of steps over one shared context.

Each step reads what earlier steps left in :attr:`DemoContext.artefacts` (paths, profiles)
and adds its own, so a later capability extends the scenario by appending a :class:`Step`
to :data:`DEFAULT_STEPS` (or by passing its own list to :func:`run_demo`). Files go only
under :attr:`DemoContext.out`, with fixed names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

import driftline as dl
from driftline.demo.data import SALES_SCHEMA, sales_batches

__all__ = ["DEFAULT_STEPS", "DemoContext", "Step", "run_demo"]

#: Fixed file names under the output folder.
DATA_FILE = "sales.parquet"
PROFILE_FILE = "sales.dlprof"
SUMMARY_FILE = "sales-profile.json"


@dataclass
class DemoContext:
    """What the steps share.

    Attributes
    ----------
    out
        Output folder; every file the demo writes goes under it.
    rows
        Rows of synthetic data.
    seed
        Random seed of the data.
    console
        Where the steps print.
    row_group_rows
        Rows per Parquet row group (the unit ``profile_parquet`` streams).
    artefacts
        Results by name (``data_path``, ``profile``, ``profile_path``...), for later steps.
    outputs
        ``(description, path)`` of the files written, printed at the end.
    """

    out: Path
    rows: int
    seed: int = 7
    console: Console = field(default_factory=Console)
    row_group_rows: int = 65_536
    artefacts: dict[str, Any] = field(default_factory=dict)
    outputs: list[tuple[str, Path]] = field(default_factory=list)
    progress: bool | None = None

    def progress_bar(self) -> Progress:
        """A rich progress bar on this context's console (hidden when it is not a terminal)."""
        return Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not (self.console.is_terminal if self.progress is None else self.progress),
        )


@dataclass(frozen=True)
class Step:
    """One step of the demo: a title and the function that performs it."""

    title: str
    run: Callable[[DemoContext], None]


def generate_data(ctx: DemoContext) -> None:
    """Writes the day of sales as Parquet, batch by batch (bounded memory)."""
    path = ctx.out / DATA_FILE
    batch_rows = 250_000
    with ctx.progress_bar() as bar:
        task = bar.add_task("generating sales", total=ctx.rows)
        with pq.ParquetWriter(path, SALES_SCHEMA, compression="zstd") as writer:
            for batch in sales_batches(ctx.rows, seed=ctx.seed, batch_rows=batch_rows):
                writer.write_batch(batch, row_group_size=ctx.row_group_rows)
                bar.advance(task, batch.num_rows)
    size_mb = path.stat().st_size / 1e6
    ctx.console.print(
        f"  {ctx.rows:,} sale lines x {len(SALES_SCHEMA)} columns -> {path} ({size_mb:.1f} MB)",
        soft_wrap=True,
    )
    ctx.artefacts["data_path"] = path
    ctx.outputs.append(("data (Parquet)", path))


def profile_data(ctx: DemoContext) -> None:
    """Profiles the Parquet file by streaming its row groups, and prints the summary."""
    from driftline.cli.profile_cmd import profile_table

    path: Path = ctx.artefacts["data_path"]
    start = time.perf_counter()
    progress = ctx.console.is_terminal if ctx.progress is None else ctx.progress
    p = dl.profile_parquet(path, progress=progress)
    elapsed = time.perf_counter() - start
    ctx.artefacts["profile"] = p
    ctx.console.print(profile_table(p, title=f"Profile of {path.name}"))
    ctx.console.print(
        f"  profiled {p.row_count:,} rows x {len(p)} columns in {elapsed:.2f} s"
        f" (fingerprint {p.fingerprint})"
    )


def save_profile(ctx: DemoContext) -> None:
    """Saves the profile's bytes and a JSON summary, and checks the bytes read back."""
    p: dl.Profile = ctx.artefacts["profile"]
    blob = p.to_bytes()
    path = ctx.out / PROFILE_FILE
    path.write_bytes(blob)
    if dl.Profile.from_bytes(path.read_bytes()) != p:
        raise RuntimeError(f"the profile saved to {path} does not read back equal")
    json_path = ctx.out / SUMMARY_FILE
    json_path.write_text(p.to_json(indent=2), encoding="utf-8")
    ctx.console.print(
        f"  profile: {len(blob) / 1024:.1f} KB for {len(p)} columns"
        f" ({len(blob) / max(len(p), 1) / 1024:.1f} KB per column)"
    )
    ctx.artefacts["profile_path"] = path
    ctx.outputs.append(("profile (driftline bytes)", path))
    ctx.outputs.append(("profile summary (JSON)", json_path))


#: The scenario so far; later capabilities append their steps.
DEFAULT_STEPS: list[Step] = [
    Step("Generate a day of retail sales", generate_data),
    Step("Profile it from Parquet", profile_data),
    Step("Save the profile", save_profile),
]


def _governance_steps() -> list[Step]:
    # Imported here: the governance steps import this module for DemoContext.
    from driftline.demo.governance import catch_drift, register_model

    return [
        Step("Register, approve and promote the model", register_model),
        Step("Catch drift on a later day", catch_drift),
    ]


def _healthcare_steps() -> list[Step]:
    from driftline.demo.healthcare import HEALTHCARE_STEPS

    return list(HEALTHCARE_STEPS)


def _credit_retail_steps() -> list[Step]:
    from driftline.demo.credit import credit_fairness
    from driftline.demo.retail import results_report, retail_segments

    return [
        Step("Check a credit model's fairness (four-fifths rule)", credit_fairness),
        Step("Evaluate and check drift for 2,000 SKUs, one pass each", retail_segments),
        Step("Write the results report; how to open the dashboard", results_report),
    ]


def run_demo(ctx: DemoContext, steps: Sequence[Step] | None = None) -> DemoContext:
    """Runs the steps in order, printing a numbered heading before each and the written
    files at the end; returns the context with its artefacts."""
    ctx.out.mkdir(parents=True, exist_ok=True)
    steps = (
        [*DEFAULT_STEPS, *_governance_steps(), *_healthcare_steps(), *_credit_retail_steps()]
        if steps is None
        else steps
    )
    start = time.perf_counter()
    for i, step in enumerate(steps, 1):
        ctx.console.rule(f"[bold]{i}/{len(steps)}  {step.title}", align="left")
        step.run(ctx)
    ctx.console.rule("[bold]Done", align="left")
    for what, path in ctx.outputs:
        ctx.console.print(f"  {what:<28} {path}", soft_wrap=True)
    ctx.console.print(f"  total {time.perf_counter() - start:.1f} s")
    if "dashboard_command" in ctx.artefacts:
        ctx.console.print(f"  open the dashboard: {ctx.artefacts['dashboard_command']}")
    return ctx
