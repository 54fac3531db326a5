"""`pith trust`: let a repository's pith config loosen settings (api_base, approve, sandbox, allow, pass_env)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer


def trust(
    path: Annotated[Optional[Path], typer.Argument(help="the repository (default: the current one)")] = None,
    list_: Annotated[bool, typer.Option("--list", help="show the trusted repositories")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="stop trusting the repository")] = False,
) -> None:
    """Trust a repository's .pith.toml / [tool.pith] as it is now (a later change to it needs trusting again)."""
    from agent.settings import trust as store

    if list_:
        rows = store.trusted_list()
        for where, state, when in rows:
            typer.echo(f"{where}  {state}  {when}")
        if not rows:
            typer.echo("no trusted repositories", err=True)
        return
    root = _root(path)
    if revoke:
        if not store.revoke(root):
            typer.echo(f"pith: {root} was not trusted", err=True)
            raise typer.Exit(1)
        typer.echo(f"no longer trusted: {root}")
        return
    _show_config(root)
    store.trust(root)
    typer.echo(f"trusted: {root} (its pith config may now set api_base, model, approve, sandbox, allow and pass_env)")


def _root(path: Optional[Path]) -> Path:
    """The repository root for PATH (its git top level when inside one); exit 2 when PATH is not a folder."""
    from agent.settings.load import find_root

    start = Path(path or os.getcwd()).expanduser()
    if not start.is_dir():
        typer.echo(f"pith: {start} is not a folder", err=True)
        raise typer.Exit(2)
    return find_root(start.resolve())[0].resolve()


def _show_config(root: Path) -> None:
    """Print what the user is trusting; a config that cannot be read is an error (exit 2)."""
    from agent.settings.files import ConfigError, project_layer

    try:
        project, sources = project_layer(root)
    except ConfigError as exc:
        typer.echo(f"pith: {exc}", err=True)
        raise typer.Exit(2) from None
    if not project:
        typer.echo(f"{root} has no pith config (.pith.toml or [tool.pith]) yet; one added later needs `pith trust` "
                   "again", err=True)
        return
    typer.echo(f"{', '.join(sources)}:")
    for key, value in sorted(project.items()):
        typer.echo(f"  {key} = {value!r}")


def register(app: typer.Typer) -> None:
    """Attach `pith trust`."""
    app.command("trust")(trust)
