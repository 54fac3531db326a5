"""Ctrl+R: search what was sent in this repository (newest first) and put one entry back in the composer."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from agent.frontends.tui.history_store import search

SHOWN = 50


def one_line(text: str, width: int = 100) -> str:
    """An entry on one line (newlines shown as ⏎), cut to `width`."""
    flat = text.strip().replace("\n", " ⏎ ")
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class HistorySearchScreen(ModalScreen["str | None"]):
    """Type to filter (every word must appear); Enter takes the highlighted entry, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+r,down", "next", "Older", show=False),
                Binding("up", "previous", "Newer", show=False), Binding("enter", "choose", "Choose", priority=True)]
    DEFAULT_CSS = """
    HistorySearchScreen { align: center middle; }
    #history-box { width: 90%; max-width: 120; height: auto; max-height: 80%; border: round $accent;
                   background: $surface; padding: 0 1; }
    #history-list { height: auto; max-height: 20; }
    """

    def __init__(self, entries: list[str], query: str = "") -> None:
        super().__init__()
        self.entries = entries
        self.query_text = query if "\n" not in query else ""
        self.found: list[str] = []

    def compose(self) -> ComposeResult:
        """Search box above the matching entries."""
        with Vertical(id="history-box"):
            yield Static("History search (reverse-i-search) · Enter puts it in the composer · Escape cancels",
                         classes="side-title")
            yield Input(value=self.query_text, placeholder="type to search your earlier messages", id="history-query")
            yield OptionList(id="history-list")

    def on_mount(self) -> None:
        """Show the newest entries and focus the search box."""
        self.refilter(self.query_text)
        self.query_one(Input).focus()

    def refilter(self, query: str) -> None:
        """Show the entries matching `query`, newest first."""
        self.found = search(self.entries, query, SHOWN)
        options = self.query_one(OptionList)
        options.set_options([Option(one_line(t)) for t in self.found] or [Option("(no match)", disabled=True)])
        options.highlighted = 0 if self.found else None

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the user types."""
        self.refilter(event.value)

    def action_next(self) -> None:
        """An older match."""
        self._move(1)

    def action_previous(self) -> None:
        """A newer match."""
        self._move(-1)

    def _move(self, step: int) -> None:
        """Move the highlight, staying in the list."""
        if self.found:
            options = self.query_one(OptionList)
            options.highlighted = max(0, min(len(self.found) - 1, (options.highlighted or 0) + step))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click (or Enter in the list) chooses an entry."""
        if self.found:
            self.dismiss(self.found[event.option_index])

    def action_choose(self) -> None:
        """Enter: the highlighted entry."""
        highlighted = self.query_one(OptionList).highlighted
        self.dismiss(self.found[highlighted] if self.found and highlighted is not None else None)

    def action_cancel(self) -> None:
        """Escape: keep the composer as it was."""
        self.dismiss(None)
