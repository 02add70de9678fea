"""``driftline serve``: the REST API, ``/metrics`` and the dashboard over one registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from driftline.cli.app import app

__all__ = ["serve"]

DEFAULT_URL = "sqlite:///.driftline/registry.db"


@app.command()
def serve(
    registry: Annotated[
        str,
        typer.Option(
            "--registry",
            envvar="DRIFTLINE_REGISTRY_URL",
            help="Registry database URL (sqlite:///... or postgresql+psycopg://...).",
        ),
    ] = DEFAULT_URL,
    host: Annotated[
        str, typer.Option(help="Interface to listen on; loopback unless you say otherwise.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    monitors: Annotated[
        Path | None,
        typer.Option(
            "--monitors",
            help="TOML file of declared monitors (webhooks, durable state, restart-safe).",
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for monitors' durable state (default: the --monitors file's)."),
    ] = None,
) -> None:
    """Serve the registry's API, monitors, /metrics and the dashboard (/ui)."""
    import uvicorn

    from driftline.exceptions import DriftlineError
    from driftline.server import create_app

    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.secho(
            f"listening on {host}: put a TLS-terminating proxy in front, tokens travel in "
            "every request",
            fg=typer.colors.YELLOW,
            err=True,
        )
    try:
        application = create_app(registry, monitors=monitors, state_dir=state_dir)
    except (OSError, ValueError, DriftlineError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"driftline serving on http://{host}:{port}/ui/ (API under /api/v1)")
    # Access logs carry method, path and status only: tokens travel in headers or form
    # bodies, never in URLs.
    uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)
