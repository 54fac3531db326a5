"""`pith tui`: the interactive terminal UI (the default command)."""
from __future__ import annotations

import typer


def tui(ctx: typer.Context | None = None) -> None:
    """Open the terminal UI."""
    typer.echo("pith: the terminal UI is not available yet; use `pith run TASK`", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Attach `pith tui`."""
    app.command("tui")(tui)
