"""`pith replay`, `pith resume` and `pith export`: recorded sessions rendered, re-run, continued, exported."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agent.cli.common import DirOpt, fail, load_log

RefArg = Annotated[str, typer.Argument(help="a session log path or id (a unique prefix works)")]
RepoOpt = Annotated[Optional[Path], typer.Option("--repo", help="the repository to run in (default: the current one)")]


def replay(
    ref: RefArg,
    json_out: Annotated[bool, typer.Option("--json", help="the events as JSONL")] = False,
    tui: Annotated[bool, typer.Option("--tui", help="step through it in the terminal UI (read-only)")] = False,
    rerun: Annotated[bool, typer.Option("--rerun", help="re-run the recorded model turns in a fresh worktree")] = False,
    session_dir: DirOpt = None,
    timeline: Annotated[bool, typer.Option("--timeline", help="tokens per request by region (a chart on a terminal, rows otherwise)")] = False,
    repo: RepoOpt = None,
) -> None:
    """Render a recorded session (text, --json or --tui), or --rerun it and report divergence (exit 1)."""
    loaded = load_log(ref, session_dir)
    if timeline:
        from agent.cli.inspect import show_timeline

        show_timeline(loaded)
        return
    if rerun:
        from agent.frontends.replay import ReplayError, rerun_session

        root, settings = _today(repo, {"approve": "auto"}, set())
        try:
            raise typer.Exit(rerun_session(loaded, sys.stdout, root=root, settings=settings))
        except ReplayError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted; the re-run worktree was removed", 130)
    if tui:
        _replay_tui(loaded)
        return
    from agent.frontends.replay import render_events

    render_events(loaded, sys.stdout, json_out)
    if loaded.note:
        typer.echo(f"note: {loaded.note}", err=True)


def _replay_tui(loaded: Any) -> None:
    """Hand the log to the TUI's read-only replay."""
    from agent.frontends.tui.replay import run_replay

    result = run_replay(loaded)
    raise typer.Exit(result if isinstance(result, int) else 0)


def resume(
    ref: RefArg,
    message: Annotated[Optional[str], typer.Argument(help="the next message; `-` reads it from stdin")] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", envvar="PITH_MODEL", help="default: your configured model (never the log's)")] = None,
    api_base: Annotated[Optional[str], typer.Option("--api-base", envvar="PITH_API_BASE", help="OpenAI-compatible server URL (never the log's)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSONL events on stdout; the last line is the result")] = False,
    approve: Annotated[Optional[str], typer.Option("--approve", help="ask | auto | never (default: as for pith run, never the log's)")] = None,
    max_steps: Annotated[int, typer.Option("--max-steps", help="more model calls before stopping")] = 50,
    max_cost: Annotated[Optional[float], typer.Option("--max-cost", help="more USD before stopping")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="wall-clock seconds before stopping")] = None,
    session_dir: DirOpt = None,
    repo: RepoOpt = None,
) -> None:
    """Continue a session headless with a live model, appending to the same log (exit codes as `pith run`).
    Today's settings apply (config files, flags, policy, sandbox); the log only gives the conversation."""
    text = sys.stdin.read() if message == "-" else (message or "Continue.")
    if not text.strip():
        fail("empty message: give it as an argument or `-` for stdin")
    from agent.settings.config import APPROVAL_MODES

    if approve is not None and approve not in APPROVAL_MODES:
        fail(f"--approve must be ask, auto or never (got {approve!r})")
    loaded = load_log(ref, session_dir)
    flags = {"model": model, "api_base": api_base, "approve": approve, "timeout": timeout}
    root, settings = _today(repo, {**flags, "approve": approve or "auto"}, {k for k, v in flags.items() if v})
    if repo is None:
        from agent.log.writer import LogError
        from agent.log.resume import check_root

        try:
            check_root(loaded, root)
        except LogError as exc:
            fail(str(exc))
    raise typer.Exit(_resume(loaded.path, text.strip(), (root, settings), max_steps, max_cost, json_out))


def _today(repo: Optional[Path], flags: dict[str, Any], explicit: set[str]) -> tuple[Path, Any]:
    """(the repository to run in, today's settings for it): --repo or the current one; never the log's."""
    import os

    from agent.settings.load import SettingsError, find_root, resolve_settings

    start = (repo or Path(os.getcwd())).expanduser()
    if not start.is_dir():
        fail(f"--repo {start} is not a folder")
    root = find_root(start.resolve())[0]
    try:
        resolved = resolve_settings(root, flags, explicit)
    except SettingsError as exc:
        fail(str(exc))
    for notice in resolved.notices:
        typer.echo(f"pith: note: {notice}", err=True)
    return root, resolved.settings


def _resume(path: Path, text: str, where: tuple[Path, Any], max_steps: int, max_cost: Optional[float],
            json_out: bool) -> int:
    """Rebuild the session with today's settings, run one more turn headless, return the exit code."""
    import asyncio

    from agent.frontends.headless import exit_code, result_line, run_headless
    from agent.log.writer import LogError
    from agent.log.resume import load_session
    from agent.compose import UsageError
    from agent.settings.load import missing_key

    root, settings = where
    if missing_key(settings):
        fail(missing_key(settings))
    try:
        session = load_session(path, {"interactive": False}, settings=settings, root=root,
                               new_work=(max_steps, max_cost))
        from agent.compose import load_backend

        load_backend(settings)  # before the turn: --timeout measures the work, not the import
    except (LogError, UsageError) as exc:
        fail(str(exc))
    result = asyncio.run(run_headless(session, text, json_mode=json_out, resumed=True))
    if json_out:
        print(result_line(result), flush=True)
    else:
        print(f"session log: {path}", file=sys.stderr)
    return exit_code(result.status)


def export(
    ref: RefArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md | html")] = "md",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="write to FILE (default: stdout)")] = None,
    session_dir: DirOpt = None,
) -> None:
    """Export a readable transcript (Markdown or self-contained HTML), secrets redacted."""
    if fmt not in ("md", "html"):
        fail(f"--format must be md or html (got {fmt!r})")
    loaded = load_log(ref, session_dir)
    from agent.frontends.export.transcript import export_html, export_markdown

    text = export_markdown(loaded) if fmt == "md" else export_html(loaded)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    """Attach replay, resume and export to the main app."""
    app.command("replay")(replay)
    app.command("resume")(resume)
    app.command("export")(export)
