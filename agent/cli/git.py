"""`pith undo` and `pith diff`: the git safety net from the command line."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

SessionOpt = Annotated[Optional[str], typer.Option("--session", "-s", help="session id (default: the latest with checkpoints here)")]


def _checkpoints(session: Optional[str]):  # type: ignore[no-untyped-def]
    """The Checkpoints of the chosen (or latest) session in the current repository."""
    import os

    from agent.settings.load import find_root
    from tools.checkpoint import Checkpoints, list_sessions_with_checkpoints

    root, head = find_root(Path(os.getcwd()))
    if head is None and not (root / ".git").exists():
        typer.echo(f"pith: {root} is not a git repository: there are no checkpoints to use", err=True)
        raise typer.Exit(2)
    if session is None:
        rows = list_sessions_with_checkpoints(root)
        if not rows:
            typer.echo("pith: no pith checkpoints in this repository: no session has edited it, or its changes "
                       "were already undone", err=True)
            raise typer.Exit(1)
        session = rows[0]["session_id"]
    return Checkpoints(root, session), session


def undo(session: SessionOpt = None) -> None:
    """Restore the working tree to the session's previous checkpoint (created, deleted and modified files)."""
    from tools.base import ToolError

    cps, sid = _checkpoints(session)
    try:
        typer.echo(cps.undo())
    except ToolError as exc:
        typer.echo(f"pith: nothing undone for session {sid}: {exc}", err=True)
        raise typer.Exit(1) from None


def diff(session: SessionOpt = None) -> None:
    """Show what the session changed since its first checkpoint."""
    from tools.base import ToolError

    cps, sid = _checkpoints(session)
    try:
        text = cps.diff()
    except ToolError as exc:
        typer.echo(f"pith: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(text if text.strip() else f"session {sid} changed nothing")


def register(app: typer.Typer) -> None:
    """Attach `undo` and `diff`."""
    app.command("undo")(undo)
    app.command("diff")(diff)
