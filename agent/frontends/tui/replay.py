"""`pith replay ID --tui`: a read-only terminal UI over a session log, stepped through with the live widgets."""
from __future__ import annotations

import sys
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from agent.core.events import Event
from agent.frontends.tui.view import EventView
from agent.frontends.tui.widgets.blocks import ToolBlock
from agent.frontends.tui.widgets.conversation import MAX_BLOCKS, Conversation
from agent.frontends.tui.widgets.panels import SidePanel, StatusBar

# A step ends after one of these: what the user said, each model reply, each tool result, marks and the end.
STOPS = ("user_message", "assistant_message", "tool_call_finished", "file_edited", "context_compacted",
         "context_evicted", "error", "turn_ended", "session_finished")
NARROW = 100
WINDOW = 60  # a jump renders only this many events before the target as blocks (older ones only update the panels)
BLOCKS_ONLY = ("user_message", "tool_call_started", "tool_call_finished", "file_edited")  # skipped when out of view


def stop_points(events: list[Event]) -> list[int]:
    """Event counts at which a step ends (always at least one, the whole log)."""
    stops = [i + 1 for i, e in enumerate(events) if e.type in STOPS]
    if not stops or stops[-1] != len(events):
        stops.append(len(events))
    return stops


class ReplayApp(App[int]):
    """The conversation, side panel and status bar of the live UI, fed from the log up to the current step."""

    CSS_PATH = "pith.tcss"
    TITLE = "pith replay"
    BINDINGS = [
        # priority: a focused tool block's scroll container binds the same keys
        Binding("n,right,space", "step(1)", "Next", priority=True),
        Binding("p,left", "step(-1)", "Previous", priority=True),
        Binding("home,g", "first", "First", priority=True),
        Binding("end,G", "last", "Last", priority=True),
        Binding("ctrl+o", "toggle_tool", "Last tool"),
        Binding("ctrl+b", "toggle_side", "Panel"),
        Binding("pageup", "page(-1)", "Scroll up", show=False),
        Binding("pagedown", "page(1)", "Scroll down", show=False),
        Binding("q,escape,ctrl+q,ctrl+c", "quit", "Quit"),
    ]

    def __init__(self, loaded: Any, frozen: bool = False, start: int = 1) -> None:
        super().__init__()
        self.loaded = loaded
        self.events: list[Event] = [e for e in loaded.events if e.durable]
        self.stops = stop_points(self.events)
        self.frozen = frozen
        self.step = max(1, min(start, len(self.stops)))
        self.shown = 0  # events rendered so far
        self.view: EventView | None = None

    def compose(self) -> ComposeResult:
        """Like the live UI, with a position bar where the composer would be."""
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Conversation(cap=MAX_BLOCKS, id="conversation")
                yield Static("", id="replay-bar")
            yield SidePanel(id="side")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        """Render up to the first step."""
        self.view = EventView(self.query_one(Conversation), self.query_one(SidePanel), self.query_one(StatusBar),
                              frozen=self.frozen)
        self.view.live = False  # no dialogs, no timers: this already happened
        header = self.loaded.header
        self.view.status.set(model=str(header.get("model", "")), state="replay")
        self.query_one(SidePanel).display = self.size.width >= NARROW
        self._go(self.step)

    def _go(self, step: int) -> None:
        """Show the log up to the end of `step` (re-rendering from the start when going back)."""
        assert self.view is not None
        self.step = max(1, min(step, len(self.stops)))
        target = self.stops[self.step - 1]
        if target < self.shown:
            self.query_one(Conversation).clear_blocks()
            self.query_one(SidePanel).reset()
            self.view.current, self.view.tools = None, {}
            self.view.status.set(context_tokens=0, cost=None, priced=False, evictions=0, compactions=0)
            self.view.reset()
            self.shown = 0
        conversation = self.query_one(Conversation)
        quiet_until = max(self.shown, target - WINDOW)
        for index in range(self.shown, target):
            conversation.muted = index < quiet_until
            event = self.events[index]
            if conversation.muted and event.type in BLOCKS_ONLY:
                conversation.hidden += 1  # building widgets nobody will see is what made long jumps slow
                self.view.skip(event)
                continue
            try:
                self.view.handle(event)
            except Exception as exc:  # an odd event must not end the replay
                self.view.notice(f"could not show a {event.type} event: {exc}", "error")
        conversation.muted = False
        self.shown = target
        self.query_one(Conversation).jump_to_latest()
        self._bar()

    def _bar(self) -> None:
        """Where we are and which keys move."""
        last = self.events[self.shown - 1].type.replace("_", " ") if self.shown else "start"
        text = Text(f" step {self.step}/{len(self.stops)} ", style="bold reverse")
        text.append(f"  {last} · event {self.shown}/{len(self.events)} · read-only", style="")
        text.append("   n/→ next · p/← previous · Home/End · q quit", style="dim")
        self.query_one("#replay-bar", Static).update(text)
        self.view.status.set(state=f"replay · step {self.step}/{len(self.stops)}")  # type: ignore[union-attr]

    def action_step(self, delta: int) -> None:
        """One step forward or back."""
        self._go(self.step + delta)

    def action_first(self) -> None:
        """The first step."""
        self._go(1)

    def action_last(self) -> None:
        """The whole session."""
        self._go(len(self.stops))

    def action_toggle_tool(self) -> None:
        """Expand or collapse the newest tool call."""
        blocks = list(self.query(ToolBlock))
        if blocks:
            blocks[-1].collapsed = not blocks[-1].collapsed

    def action_toggle_side(self) -> None:
        """Show or hide the side panel."""
        side = self.query_one(SidePanel)
        side.display = not side.display

    def action_page(self, direction: int) -> None:
        """Scroll the conversation."""
        conversation = self.query_one(Conversation)
        (conversation.scroll_page_down if direction > 0 else conversation.scroll_page_up)(animate=False)

    def action_quit(self) -> None:  # type: ignore[override]
        """Leave (exit code 0)."""
        self.exit(0)


def run_replay(loaded: Any) -> int:
    """Open the replay UI on a parsed log; returns the exit code."""
    if not loaded.events:
        print("pith: the session log has no events to replay", file=sys.stderr)
        return 2
    result = ReplayApp(loaded).run()
    return result if isinstance(result, int) else 0
