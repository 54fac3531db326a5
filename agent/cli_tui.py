"""`pith tui`: the interactive terminal UI (the default command)."""
from __future__ import annotations

import typer


def tui() -> None:
    """Open the terminal UI."""
    typer.echo("pith: the terminal UI is not available yet; use `pith run TASK`", err=True)
    raise typer.Exit(2)
