"""``driftline triggers list|replay CONFIG``: inspect the outbox, resend dead letters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli.app import app

__all__ = ["triggers_app"]

triggers_app = typer.Typer(help="The trigger outbox: deliveries and dead letters.")
app.add_typer(triggers_app, name="triggers")


def _outbox(config: Path) -> tuple[object, object]:
    from driftline.actions import Outbox
    from driftline.monitor.config import load_config

    try:
        cfg = load_config(config)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return cfg, Outbox(cfg.state)


@triggers_app.command("list")
def list_cmd(
    config: Annotated[Path, typer.Argument(help="The watch configuration (TOML).")],
    status: Annotated[
        str | None, typer.Option(help="pending, delivered, dead or suppressed.")
    ] = None,
) -> None:
    """List deliveries in the outbox."""
    _, box = _outbox(config)
    for d in box.list(status):  # type: ignore[attr-defined]
        err = f"  {d.last_error}" if d.last_error else ""
        typer.echo(f"{d.id}  {d.status:<10} {d.action}  {d.payload.get('reason', '')}{err}")


@triggers_app.command("replay")
def replay_cmd(
    config: Annotated[Path, typer.Argument(help="The watch configuration (TOML).")],
    ids: Annotated[list[str] | None, typer.Option("--id", help="Only these delivery ids.")] = None,
) -> None:
    """Resend dead letters with the configured actions (same ids: receivers deduplicate)."""
    cfg, box = _outbox(config)
    n = box.replay(ids or None)  # type: ignore[attr-defined]
    counts = box.dispatch(cfg.actions)  # type: ignore[attr-defined]
    typer.echo(
        f"replayed {n}: delivered {counts['delivered']}, dead {counts['dead']},"
        f" suppressed {counts['suppressed']}, no such action {counts['skipped']}"
    )
    if counts["dead"]:
        raise typer.Exit(1)
