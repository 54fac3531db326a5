"""What slash commands, screens and key helpers need from the app: they depend on this, never on PithApp."""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

    from agent.core.ops import Op
    from agent.frontends.tui.launch import Launch
    from agent.frontends.tui.view import EventView
    from agent.frontends.tui.history_store import HistoryStore
    from agent.core.session import Session


class Host(Protocol):
    """The pith app as its commands see it: the session, the view, turn state, and textual's app methods."""

    launch: Launch
    session: Session | None
    view: EventView | None
    busy: bool
    frozen: bool
    autostart: bool
    resume_path: Path | None
    shell_running: bool
    turn_t0: float
    history: HistoryStore | None
    user_commands_dir: Path | None
    completion: Any

    @property
    def focused(self) -> Widget | None:
        """The focused widget."""

    @property
    def screen_stack(self) -> list[Screen[Any]]:
        """The open screens, the main one first."""

    def query_one(self, selector: Any, expect_type: Any = None) -> Any:
        """The one widget that matches."""

    def push_screen(self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False) -> Any:
        """Open a screen; `callback` gets its result."""

    def run_worker(self, work: Any, name: str | None = "", group: str = "default", **kwargs: Any) -> Any:
        """Run a coroutine in the background."""

    def notify(self, message: str, **kwargs: Any) -> None:
        """A toast."""

    def bell(self) -> None:
        """Ring the terminal bell."""

    def send(self, text: str) -> None:
        """Submit a user message as a new turn (queued while one runs)."""

    def submit_op(self, op: Op) -> None:
        """Hand an op to the session (if there is one)."""

    async def end_session(self) -> None:
        """Shut the current session down, its log completed."""

    async def boot(self) -> None:
        """Build (or resume `resume_path`) a session and attach it."""

    async def action_quit_pith(self) -> None:
        """Finish the session, then leave."""

    def action_scroll_end(self) -> None:
        """Jump to the newest block."""

    def action_interrupt(self) -> None:
        """Interrupt the running turn."""

    def action_toggle_side(self) -> None:
        """Show or hide the side panel."""

    def action_toggle_tool(self) -> None:
        """Expand or collapse the newest tool call."""


Command = Callable[[Host, str], Coroutine[Any, Any, None]]
