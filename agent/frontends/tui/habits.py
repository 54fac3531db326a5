"""The TUI's everyday habits: completion menu, saved input history, `!command`, bell on approval and long turns."""
from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from agent.core.events import ApprovalRequested, Event, Notice, ShellRan, TurnEnded, UserMessage
from agent.core.ops import RunShell
from agent.frontends.tui.history_store import HistoryStore, history_file

if TYPE_CHECKING:
    from agent.frontends.tui.host import Host

LONG_TURN_S = 10.0


def history_store(app: Host) -> HistoryStore:
    """Per-repository history next to the session logs (in the user's data folder); memory only without one."""
    folder = app.launch.session_dir
    return HistoryStore(history_file(Path(folder).parent, app.launch.root) if folder else None)


def setup(app: Host) -> None:
    """Wire the completion menu and load the saved input history into the composer."""
    from agent.frontends.tui.commands import command_choices
    from agent.frontends.tui.widgets.completion import Completer, CompletionController, CompletionMenu
    from agent.frontends.tui.widgets.composer import Composer

    composer = app.query_one(Composer)
    app.completion = CompletionController(composer, app.query_one(CompletionMenu),
                                          Completer(app.launch.root, lambda: command_choices(app)))
    app.history = history_store(app)
    composer.sent[:0] = app.history.load()
    app.shell_running = False
    app.turn_t0 = 0.0
    if app.autostart:
        app.run_worker(_warm_files(app), group="files")


async def _warm_files(app: Host) -> None:
    """List the repository's files once in the background, so the first `@` is instant."""
    import asyncio

    from agent.core.file_finder import list_files

    await asyncio.to_thread(list_files, app.launch.root)


def remember(app: Host, text: str) -> None:
    """Save a sent message in the repository's history."""
    if app.history is not None:
        app.history.append(text)


def submitted(app: Host, text: str) -> bool:
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
        app.shell_running = True
        app.view.notice(f"running !{command} … (Ctrl+C stops it; its output goes to the model with your next "
                        "message)", "dim")
    app.submit_op(RunShell(command))
    return True


def on_event(app: Host, event: Event) -> None:
    """Ring the bell when an approval is needed or a long turn ends; track `!command`."""
    if isinstance(event, ApprovalRequested):
        app.bell()  # no toast: the dialog is the notice, and a toast would sit on its buttons at 80x24
    elif isinstance(event, UserMessage):
        app.turn_t0 = time.monotonic()
        if event.attachment and app.view is not None:
            from agent.core.mentions import attached_summary

            app.view.notice("attached for the model: " + attached_summary(event.attachment), "dim")
    elif isinstance(event, TurnEnded):
        took = time.monotonic() - app.turn_t0 if app.turn_t0 else 0.0
        app.turn_t0 = 0.0
        if took >= LONG_TURN_S:
            app.bell()
            app.notify(f"turn {event.status.replace('_', ' ')} after {took:.0f}s", timeout=4)
    elif isinstance(event, ShellRan) or (isinstance(event, Notice) and event.text.startswith("!")):
        app.shell_running = False  # it ran, or the core said why not ("!cmd: ...")


def open_history_search(app: Host) -> None:
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
