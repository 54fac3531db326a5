"""The TUI's everyday habits: completion menu, saved input history, `!command`, bell on approval and long turns."""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from agent.frontends.tui.custom_commands import CustomCommand, load_commands, user_commands_dir
from agent.core.events import ApprovalRequested, Event, Notice, RunShell, ShellRan, TurnEnded, UserMessage
from agent.frontends.tui.history_store import HistoryStore, history_file

if TYPE_CHECKING:
    from agent.frontends.tui.app import PithApp

LONG_TURN_S = 10.0
HELP_WIDTH = 56


def custom_commands(app: PithApp) -> dict[str, CustomCommand]:
    """The repository's and the user's custom commands (built-in names always win)."""
    from agent.frontends.tui.commands import COMMANDS

    user_dir = getattr(app, "user_commands_dir", None) or user_commands_dir()
    return load_commands(app.launch.root, user_dir, reserved=COMMANDS)


def command_choices(app: PithApp) -> list[tuple[str, str]]:
    """(name, one-line help) for the menu: built-in commands, then custom ones."""
    from agent.frontends.tui import commands

    built_in = []
    for name in commands.COMMANDS:
        handler = getattr(commands, "cmd_" + name, None)
        doc = (handler.__doc__ or "").strip().splitlines()[0] if handler is not None and handler.__doc__ else ""
        built_in.append((name, _short(doc.removeprefix(f"/{name}:").strip())))
    extra = [(c.name, _short(f"{c.help} ({c.source})")) for c in custom_commands(app).values()]
    return built_in + extra


def _short(text: str, width: int = HELP_WIDTH) -> str:
    """One line of help, cut to fit the menu."""
    text = text[:1].upper() + text[1:]
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def history_store(app: PithApp) -> HistoryStore:
    """Per-repository history next to the session logs (in the user's data folder); memory only without one."""
    folder = app.launch.session_dir
    return HistoryStore(history_file(Path(folder).parent, app.launch.root) if folder else None)


def setup(app: PithApp) -> None:
    """Wire the completion menu and load the saved input history into the composer."""
    from agent.frontends.tui.widgets.completion import Completer, CompletionController, CompletionMenu
    from agent.frontends.tui.widgets.composer import Composer

    composer = app.query_one(Composer)
    app.completion = CompletionController(composer, app.query_one(CompletionMenu),  # type: ignore[attr-defined]
                                          Completer(app.launch.root, lambda: command_choices(app)))
    app.history = history_store(app)  # type: ignore[attr-defined]
    composer.sent[:0] = app.history.load()  # type: ignore[attr-defined]
    app.shell_running = False  # type: ignore[attr-defined]
    app.turn_t0 = 0.0  # type: ignore[attr-defined]
    if app.autostart:
        app.run_worker(_warm_files(app), group="files")


async def _warm_files(app: PithApp) -> None:
    """List the repository's files once in the background, so the first `@` is instant."""
    import asyncio

    from agent.core.file_finder import list_files

    await asyncio.to_thread(list_files, app.launch.root)


def remember(app: PithApp, text: str) -> None:
    """Save a sent message in the repository's history."""
    store = getattr(app, "history", None)
    if store is not None:
        store.append(text)


def submitted(app: PithApp, text: str) -> bool:
    """Handle `!command` (True when handled); every message is saved to the history first."""
    remember(app, text)
    if not text.startswith("!"):
        return False
    assert app.view is not None
    if app.session is None:
        app.view.notice("no session yet: !commands run once it has started", "warning")
        return True
    command = text[1:].strip()
    if command:
        app.shell_running = True  # type: ignore[attr-defined]
        app.view.notice(f"running !{command} … (Ctrl+C stops it; its output goes to the model with your next "
                        "message)", "dim")
    app.submit_op(RunShell(command))
    return True


def on_event(app: PithApp, event: Event) -> None:
    """Ring the bell when an approval is needed or a long turn ends; track `!command`."""
    if isinstance(event, ApprovalRequested):
        app.bell()  # no toast: the dialog is the notice, and a toast would sit on its buttons at 80x24
    elif isinstance(event, UserMessage):
        app.turn_t0 = time.monotonic()  # type: ignore[attr-defined]
        if event.attachment and app.view is not None:
            from agent.core.mentions import attached_summary

            app.view.notice("attached for the model: " + attached_summary(event.attachment), "dim")
    elif isinstance(event, TurnEnded):
        took = time.monotonic() - getattr(app, "turn_t0", 0.0) if getattr(app, "turn_t0", 0.0) else 0.0
        app.turn_t0 = 0.0  # type: ignore[attr-defined]
        if took >= LONG_TURN_S:
            app.bell()
            app.notify(f"turn {event.status.replace('_', ' ')} after {took:.0f}s", timeout=4)
    elif isinstance(event, ShellRan) or (isinstance(event, Notice) and event.text.startswith("!")):
        app.shell_running = False  # type: ignore[attr-defined]  # it ran, or the core said why not ("!cmd: ...")


def open_history_search(app: PithApp) -> None:
    """Ctrl+R: search the history; the chosen entry goes into the composer."""
    from agent.frontends.tui.screens.history_search import HistorySearchScreen
    from agent.frontends.tui.widgets.composer import Composer

    composer = app.query_one(Composer)

    def chosen(text: str | None) -> None:
        """Put the chosen entry in the composer, ready to edit or send."""
        if text is not None:
            composer.load_text(text)
            composer.move_cursor(composer.document.end)
        composer.focus()

    app.push_screen(HistorySearchScreen(list(composer.sent), composer.text), chosen)
