"""What every `pith` command shares: option types, the one-line usage error, explicit flags, session lookup."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

ModelOpt = Annotated[str, typer.Option("--model", "-m", envvar="PITH_MODEL", help="litellm model string, or scripted:PATH")]
ApiBaseOpt = Annotated[Optional[str], typer.Option("--api-base", envvar="PITH_API_BASE", help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8000/v1")]
ApproveOpt = Annotated[str, typer.Option("--approve", help="ask | auto | never")]
SandboxOpt = Annotated[str, typer.Option("--sandbox", metavar="MODE", help="confine commands: workspace-write (default: writes only in the repo, not .git/; no network), read-only, or off")]
SessionDirOpt = Annotated[Optional[Path], typer.Option("--session-dir", envvar="PITH_SESSION_DIR", help="where session logs are written")]
DirOpt = Annotated[Optional[Path], typer.Option("--session-dir", envvar="PITH_SESSION_DIR", help="where session logs are")]


def fail(message: str, code: int = 2) -> None:
    """Print a clear error (no traceback) and exit."""
    typer.echo(f"pith: {message}", err=True)
    raise typer.Exit(code)


def explicit_params(ctx: typer.Context) -> set[str]:
    """Names of options the user gave on the command line or through an environment variable."""
    explicit = set()
    for name in ctx.params:
        source = ctx.get_parameter_source(name)  # typer vendors its own click: compare the enum by name
        if getattr(source, "name", "") in ("COMMANDLINE", "ENVIRONMENT"):
            explicit.add(name[3:] if name.startswith("no_") else name)  # --no-plan sets `plan`
    return explicit


def check_sandbox(value: str) -> str:
    """A valid sandbox mode, or a usage error (exit 2)."""
    from tools.sandbox import SandboxError, normalize_mode

    try:
        return normalize_mode(value)
    except SandboxError as exc:
        fail(f"--{exc}")
        raise


def load_log(ref: str, session_dir: Optional[Path]) -> Any:
    """Find and parse a log; unknown formats and missing sessions exit 2."""
    from agent.settings.config import default_session_dir
    from agent.log.writer import LogError, read_log
    from agent.log.catalog import find_session

    try:
        return read_log(find_session(ref, session_dir or default_session_dir()))
    except LogError as exc:
        fail(str(exc))
