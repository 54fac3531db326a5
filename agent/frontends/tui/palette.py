"""Ctrl+P: textual's command palette with pith's slash commands and keys, and a Quit that completes the log."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from agent.frontends.tui.commands import command_choices, run_command
from agent.frontends.tui.widgets.composer import Composer

if TYPE_CHECKING:
    from agent.frontends.tui.host import Host

NEEDS_ARGUMENT = ("model",)  # picked from the palette, these are typed into the composer to finish


def slash_commands(app: Host) -> list[tuple[str, str]]:
    """(name, one-line help) of every slash command, custom ones included."""
    return command_choices(app)


def _run(app: Host, name: str) -> Callable[[], None]:
    """A callback that runs `/name`, or types `/name ` into the composer when it needs an argument."""
    def go() -> None:
        """Run it now, or let the user finish it."""
        if name in NEEDS_ARGUMENT:
            composer = app.query_one(Composer)
            composer.load_text(f"/{name} ")
            composer.move_cursor(composer.document.end)
            composer.focus()
            return
        app.run_worker(run_command(app, "/" + name), group="command")
    return go


def system_commands(app: Host, base: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Pith's commands first, then textual's own with Quit going through the clean shutdown."""
    for name, help_text in slash_commands(app):
        yield SystemCommand(f"/{name}", help_text or f"run /{name}", _run(app, name))
    yield SystemCommand("Jump to latest", "Scroll to the newest output and follow it (End, Ctrl+L)",
                        app.action_scroll_end)
    yield SystemCommand("Interrupt", "Stop the running turn (Ctrl+C)", app.action_interrupt)
    yield SystemCommand("Side panel", "Show or hide the plan, notes and context panel (Ctrl+B)",
                        app.action_toggle_side)
    yield SystemCommand("Last tool call", "Expand or collapse the newest tool call (Ctrl+O)", app.action_toggle_tool)
    for command in base:
        if command.title == "Quit":
            yield SystemCommand("Quit", "Finish the session (its log is completed), then leave (Ctrl+Q)",
                                lambda: app.run_worker(app.action_quit_pith(), group="quit"))
        else:
            yield command
