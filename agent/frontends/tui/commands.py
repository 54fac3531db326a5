"""Slash commands: /compact /undo /diff /model /clear /sessions /commit /rewind /help, and custom ones."""
from __future__ import annotations

import asyncio
from pathlib import Path

from agent.frontends.tui.custom_commands import CustomCommand, load_commands, user_commands_dir
from agent.core.ops import Compact, ShowDiff, SwitchModel, Undo
from agent.frontends.tui.git_commands import cmd_commit, cmd_rewind
from agent.frontends.tui.host import Command, Host
from agent.frontends.tui.screens.context import cmd_context
from agent.frontends.tui.screens.help import HelpScreen
from agent.frontends.tui.screens.sessions import SessionsScreen
from agent.frontends.tui.widgets.conversation import Conversation
from agent.frontends.tui.widgets.panels import SidePanel

HELP_WIDTH = 56


async def run_command(app: Host, text: str) -> None:
    """Run one slash command; unknown ones get a hint."""
    name, _, arg = text[1:].partition(" ")
    name, arg = name.strip().lower(), arg.strip()
    command = COMMANDS.get(name)
    if command is None:
        custom = custom_commands(app).get(name)
        if custom is not None:  # the repository's text becomes a user message, nothing more
            app.send(custom.expand(arg))
            return
        app.view.notice(f"unknown command /{name}; try /help", "warning")  # type: ignore[union-attr]
        return
    try:
        await command(app, arg)
    except Exception as exc:  # a failing command is a message, never a crashed UI
        app.view.notice(f"/{name} failed: {exc}", "error")  # type: ignore[union-attr]


def custom_commands(app: Host) -> dict[str, CustomCommand]:
    """The repository's and the user's custom commands (built-in names always win)."""
    return load_commands(app.launch.root, app.user_commands_dir or user_commands_dir(), reserved=tuple(COMMANDS))


def command_choices(app: Host) -> list[tuple[str, str]]:
    """(name, one-line help) for the menu and the palette: built-in commands, then custom ones."""
    built_in = []
    for name, handler in COMMANDS.items():
        doc = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
        built_in.append((name, _short(doc.removeprefix(f"/{name}:").strip())))
    extra = [(c.name, _short(f"{c.help} ({c.source})")) for c in custom_commands(app).values()]
    return built_in + extra


def _short(text: str, width: int = HELP_WIDTH) -> str:
    """One line of help, cut to fit the menu."""
    text = text[:1].upper() + text[1:]
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _need_session(app: Host) -> bool:
    """True when there is a session; otherwise says so."""
    if app.session is None:
        app.view.notice("no session yet", "warning")  # type: ignore[union-attr]
        return False
    return True


async def cmd_compact(app: Host, focus: str) -> None:
    """Summarise older turns now (optionally keeping a focus)."""
    if _need_session(app):
        if not app.busy:  # during a turn the core answers that /compact waits: keep the running state
            state = "compacting" + (f" (focus: {focus})" if focus else "") + "…"
            app.view.status.set(state=state)  # type: ignore[union-attr]
        app.submit_op(Compact(focus=focus))


async def cmd_undo(app: Host, _: str) -> None:
    """Restore the files to the previous checkpoint."""
    if _need_session(app):
        if app.busy:
            app.view.notice("wait for the turn to end (or Ctrl+C) before /undo", "warning")  # type: ignore[union-attr]
            return
        app.submit_op(Undo())


async def cmd_diff(app: Host, _: str) -> None:
    """Show everything this session changed."""
    if _need_session(app):
        app.submit_op(ShowDiff())  # answered by DiffShown


async def cmd_model(app: Host, name: str) -> None:
    """Switch model (e.g. openai/gpt-4o); a bad name keeps it."""
    view = app.view
    assert view is not None
    if not name:
        current = app.session.state.model if app.session else app.launch.settings.model
        view.notice(f"model: {current} · /model NAME to switch", "dim")
        return
    if app.session is not None:
        app.submit_op(SwitchModel(model=name))  # answered by ModelSwitched, or an error notice that keeps the model
        return
    try:  # no session (it could not start): the next one uses the model
        await asyncio.to_thread(app.launch.switch_model, name)
    except Exception as exc:
        view.notice(f"cannot use {name!r}: {exc} (keeping the current model)", "error")
        return
    await _fresh(app)


async def _fresh(app: Host) -> None:
    """End the current session and start a new one with a clean view."""
    await app.end_session()
    app.query_one(Conversation).clear_blocks()
    app.query_one(SidePanel).reset()
    app.view.reset()  # type: ignore[union-attr]
    app.view.status.set(context_tokens=0, cost=None, priced=False, evictions=0, compactions=0, state="starting…")  # type: ignore[union-attr]
    app.busy = False
    app.resume_path = None
    await app.boot()


async def cmd_clear(app: Host, _: str) -> None:
    """Start a fresh session (this one's log is completed)."""
    await _fresh(app)


async def cmd_sessions(app: Host, _: str) -> None:
    """Pick an earlier session and resume it."""
    rows = await asyncio.to_thread(app.launch.sessions)
    if app.session is not None:
        rows = [r for r in rows if r.id != app.session.id]

    async def chosen(path: Path | None) -> None:
        """Resume the picked session, if any."""
        if path is not None:
            await resume_into(app, path)

    app.push_screen(SessionsScreen(rows), chosen)


async def resume_into(app: Host, path: Path) -> None:
    """Replace the current session with the one logged at `path`."""
    await app.end_session()
    app.query_one(Conversation).clear_blocks()
    app.query_one(SidePanel).reset()
    app.view.reset()  # type: ignore[union-attr]
    app.resume_path = path
    await app.boot()


async def cmd_help(app: Host, _: str) -> None:
    """Commands and keys."""
    app.push_screen(HelpScreen())


COMMANDS: dict[str, Command] = {
    "compact": cmd_compact, "undo": cmd_undo, "diff": cmd_diff, "model": cmd_model, "clear": cmd_clear,
    "sessions": cmd_sessions, "commit": cmd_commit, "rewind": cmd_rewind, "context": cmd_context, "help": cmd_help,
}
