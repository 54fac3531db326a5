"""`pith tui`: the interactive terminal UI (the default command)."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from agent.cli.common import ModelOpt, SessionDirOpt

if TYPE_CHECKING:
    from agent.settings.config import Settings
    from agent.frontends.tui.launch import Launch

T0 = time.perf_counter()

ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", envvar="PITH_API_BASE", help="OpenAI-compatible server URL")]


def tui(
    ctx: typer.Context,
    task: Annotated[Optional[str], typer.Argument(help="a first task to send")] = None,
    model: ModelOpt = "anthropic/claude-sonnet-4-5",
    api_base: ApiBaseOpt = None,
    approve: Annotated[str, typer.Option("--approve", help="ask | auto | never")] = "ask",
    no_plan: Annotated[bool, typer.Option("--no-plan", help="do not ask the model for a plan first")] = False,
    session_dir: SessionDirOpt = None,
    max_steps: Annotated[int, typer.Option("--max-steps", help="model calls per task before stopping")] = 50,
    cont: Annotated[bool, typer.Option("--continue", "-c", help="continue the latest session of this repository")] = False,
    resume: Annotated[Optional[str], typer.Option("--resume", help="resume the session with this id (or log path)")] = None,
    sandbox: Annotated[str, typer.Option("--sandbox", metavar="MODE", help="workspace-write (default) | read-only | off")] = "workspace-write",
    network: Annotated[bool, typer.Option("--network", help="let sandboxed commands use the network")] = False,
) -> None:
    """Open the terminal UI in the current repository."""
    if ctx is not None and ctx.invoked_subcommand is None and ctx.command.name != "tui":
        # Called from the root callback: the options were not parsed, so take their environment defaults.
        model, api_base = os.environ.get("PITH_MODEL", model), os.environ.get("PITH_API_BASE")
        env_dir = os.environ.get("PITH_SESSION_DIR")
        task, approve, no_plan, max_steps, cont, resume = None, "ask", False, 50, False, None
        session_dir = Path(env_dir) if env_dir else None
        sandbox, network = "workspace-write", False
    from agent.cli.common import check_sandbox
    from agent.settings.config import Settings

    sandbox = check_sandbox(sandbox)

    settings = Settings(model=model, api_base=api_base, approve=approve, interactive=True, plan=not no_plan,
                        max_steps=max_steps, sandbox=sandbox, network=network)
    raise typer.Exit(launch_tui(settings, session_dir, task, cont, resume, _explicit(ctx)))


def _explicit(ctx: typer.Context | None) -> set[str]:
    """The settings the user gave (flags or PITH_* variables); the rest may come from config files."""
    if ctx is not None and ctx.invoked_subcommand is None and ctx.command.name != "tui":
        return {k for k, env in (("model", "PITH_MODEL"), ("api_base", "PITH_API_BASE")) if os.environ.get(env)}
    from agent.cli.common import explicit_params

    return explicit_params(ctx) if ctx is not None else set()


def launch_tui(settings: Settings, session_dir: Path | None, task: str | None, cont: bool, resume: str | None,
               explicit: set[str] | None = None) -> int:
    """Find the repository and the session to open, then run the app; returns the exit code."""
    from agent.settings.config import default_session_dir
    from agent.frontends.tui.launch import Launch
    from agent.settings.load import SettingsError, find_root, missing_key, resolve_settings

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root, head = find_root(Path(os.getcwd()))
    flags = settings.snapshot()
    try:
        resolved = resolve_settings(root, flags, explicit or set())
    except SettingsError as exc:
        typer.echo(f"pith: {exc}", err=True)
        return 2
    launch = Launch(settings=resolved.settings, root=root, head=head, session_dir=session_dir or default_session_dir(),
                    notices=resolved.notices, flags=flags, explicit=set(explicit or ()))
    path = None
    if cont or resume:
        try:
            path = _session_path(launch, cont, resume)
        except Exception as exc:
            typer.echo(f"pith: {exc}", err=True)
            return 2
    problem = missing_key(resolved.settings)
    if problem:
        typer.echo(f"pith: {problem} (or choose another model with -m, or `model` in the config)", err=True)
        return 2
    from agent.frontends.tui.app import PithApp

    app = PithApp(launch, task=task, resume=path, t0=T0)
    app.run()
    if os.environ.get("PITH_TUI_TIMING") and app.first_paint_s is not None:
        print(f"first paint: {app.first_paint_s * 1000:.0f} ms after start", file=sys.stderr)
    return 0


def _session_path(launch: Launch, cont: bool, resume: str | None) -> Path:
    """The log to reopen for --continue / --resume, or an error that says why not."""
    if resume:
        from agent.log.writer import read_log
        from agent.log.resume import check_root
        from agent.log.catalog import find_session

        path = find_session(resume, launch.session_dir)
        check_root(read_log(path), launch.root)
        return path
    path = launch.latest()
    if path is None:
        raise RuntimeError(f"no earlier session for {launch.root} in {launch.session_dir}")
    return path


def register(app: typer.Typer) -> None:
    """Attach `pith tui`."""
    app.command("tui")(tui)
