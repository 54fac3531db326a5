"""`pith sessions`: list, show and delete session logs."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agent.cli.common import DirOpt

sessions_app = typer.Typer(help="List, show and delete session logs.", invoke_without_command=True,
                           rich_markup_mode=None, add_completion=False)


def _dir(session_dir: Optional[Path]) -> Path:
    """The session folder in use."""
    from agent.settings.config import default_session_dir

    return session_dir or default_session_dir()


@sessions_app.callback()
def sessions_list(
    ctx: typer.Context,
    session_dir: DirOpt = None,
    repo: Annotated[Optional[str], typer.Option("--repo", help="only sessions of this repository")] = None,
) -> None:
    """List sessions, newest first: id, date, repo, task, status, cost."""
    if ctx.invoked_subcommand is not None:
        return
    from agent.frontends.render import format_cost
    from agent.log.catalog import list_sessions

    rows = list_sessions(_dir(session_dir), repo)
    if not rows:
        typer.echo(f"no sessions in {_dir(session_dir)}")
        return
    typer.echo(f"{'ID':22}  {'DATE':16}  {'STATUS':14}  {'COST':>9}  TASK  (REPO)")
    for s in rows:
        date = s.created[:16].replace("T", " ")
        typer.echo(f"{s.id:22}  {date:16}  {s.status[:14]:14}  {format_cost(s.cost):>9}  {s.task}  ({s.root})")


@sessions_app.command("show")
def sessions_show(ref: str, session_dir: DirOpt = None) -> None:
    """Show one session's header and result."""
    import json

    from agent.log.writer import LogError, read_log
    from agent.log.catalog import find_session

    try:
        loaded = read_log(find_session(ref, _dir(session_dir)))
    except LogError as exc:
        typer.echo(f"pith: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({k: v for k, v in loaded.header.items()}, indent=2))
    finished = [e for e in loaded.events if e.type == "session_finished"]
    typer.echo(f"events: {len(loaded.events)}; log: {loaded.path}")
    if finished:
        typer.echo(json.dumps(finished[-1].to_dict(), indent=2))
    if loaded.note:
        typer.echo(f"note: {loaded.note}")


@sessions_app.command("delete")
def sessions_delete(ref: str, session_dir: DirOpt = None,
                    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False) -> None:
    """Delete one session log."""
    from agent.log.writer import LogError
    from agent.log.catalog import find_session

    try:
        path = find_session(ref, _dir(session_dir))
    except LogError as exc:
        typer.echo(f"pith: {exc}", err=True)
        raise typer.Exit(2) from None
    if not yes and not typer.confirm(f"delete {path}?"):
        raise typer.Exit(1)
    path.unlink()
    typer.echo(f"deleted {path}")


def register(app: typer.Typer) -> None:
    """Attach the session commands to the main app."""
    app.add_typer(sessions_app, name="sessions")
