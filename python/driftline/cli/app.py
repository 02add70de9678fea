"""The root typer application and the entry point."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="driftline",
    help="Monitoring engine for machine-learning models in production.",
    no_args_is_help=True,
    add_completion=False,
)


def _register_commands() -> None:
    # Command modules register themselves on import; imported here so that `app` is
    # complete whichever entry point is used.
    from driftline.cli import commands  # noqa: F401


def main() -> None:
    """Run the driftline command line."""
    _register_commands()
    app()
