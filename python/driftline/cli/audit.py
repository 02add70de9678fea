"""``driftline audit verify|export|keygen``: check and export the registry's audit trail."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from driftline.cli.app import app
from driftline.cli.registry import DEFAULT_URL, UrlOpt, console, fail_on_error, open_registry

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The registry's tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(
    url: UrlOpt = DEFAULT_URL,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A saved checkpoint or export file to check against.")
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="Ed25519 public key (PEM) of the checkpoint.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Walk the hash chain; exit 1 naming each modified, deleted, inserted or reordered
    event (and a rewritten or truncated chain, against a checkpoint)."""
    from driftline.registry import read_checkpoint
    from driftline.registry.checkpoint import load_public_key

    with fail_on_error():
        cp = read_checkpoint(checkpoint) if checkpoint is not None else None
        # Read the key before the chain is walked: a bad key fails fast, naming the key.
        key = load_public_key(public_key) if public_key is not None else None
        result = open_registry(url).audit.verify(checkpoint=cp, public_key=key)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif result.ok:
        console.print(
            f"[green]audit trail verified[/green]: {result.events} events, head "
            f"{result.head_seq} {result.head_hash[:16]}"
        )
    else:
        console.print(f"[red]audit trail BROKEN[/red] ({result.events} events checked):")
        for problem in result.problems:
            console.print(Text(f"  - {problem}"))
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def export(
    url: UrlOpt = DEFAULT_URL,
    out: Annotated[Path | None, typer.Option(help="Output file (default stdout).")] = None,
    key: Annotated[
        Path | None, typer.Option(help="Ed25519 private key (PEM) to sign a checkpoint.")
    ] = None,
    since: Annotated[int, typer.Option(help="Only events after this sequence number.")] = 0,
) -> None:
    """Write the events as JSON lines, then a signed checkpoint of the head (with --key)."""
    from driftline.registry.checkpoint import load_private_key

    with fail_on_error():
        # Before anything is written: a bad key must not leave a partial export behind.
        private = load_private_key(key) if key is not None else None
        audit = open_registry(url).audit
        if out is None:
            audit.export(sys.stdout, private_key=private, since=since)
            return
        with out.open("w", encoding="utf-8") as handle:
            count = audit.export(handle, private_key=private, since=since)
    console.print(f"exported {count} events to {out}" + (" with a checkpoint" if key else ""))


@audit_app.command("keygen")
def keygen(
    private_key: Annotated[Path, typer.Argument(help="Where to write the private key (0600).")],
) -> None:
    """Create an Ed25519 key pair for checkpoints; keep the private key off the database host."""
    from driftline.registry import generate_key

    with fail_on_error():
        try:
            generate_key(private_key)
        except FileExistsError:
            console.print(f"[red]error:[/red] {private_key} exists; not overwriting it")
            raise typer.Exit(2) from None
    console.print(f"wrote {private_key} and {private_key}.pub")
