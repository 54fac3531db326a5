"""/rewind: the session's checkpoints (label, time, files); Enter restores the highlighted one."""
from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

MAX_FILES_SHOWN = 4


def row_text(row: Any, frozen: bool = False) -> str:
    """One line: when, label, the files written after it."""
    when = "--:--:--" if frozen else time.strftime("%H:%M:%S", time.localtime(row.when))
    files = ", ".join(row.files[:MAX_FILES_SHOWN]) + (f" +{len(row.files) - MAX_FILES_SHOWN}"
                                                       if len(row.files) > MAX_FILES_SHOWN else "")
    return f"{when}  {row.label}  {files or '(no file written by pith after it)'}"


class RewindScreen(ModalScreen["str | None"]):
    """Pick a checkpoint: the working tree goes back to how it was then (newer checkpoints are dropped)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    RewindScreen { align: center middle; }
    #rewind-box { width: 90%; max-width: 120; height: auto; max-height: 80%; border: round $warning;
                  background: $surface; padding: 0 1; }
    #rewind-list { height: auto; max-height: 20; }
    """

    def __init__(self, rows: list[Any], frozen: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.frozen = frozen

    def compose(self) -> ComposeResult:
        """Title, explanation and the list (newest first)."""
        with Vertical(id="rewind-box"):
            yield Static("Rewind to a checkpoint (Enter) · Escape to cancel", classes="side-title")
            yield Static("Restores the files pith wrote since then; files changed by others are left alone.",
                         classes="dim")
            yield OptionList(*[Option(row_text(r, self.frozen)) for r in self.rows], id="rewind-list")

    def on_mount(self) -> None:
        """Focus the list."""
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Rewind to the chosen checkpoint."""
        self.dismiss(self.rows[event.option_index].sha)

    def action_cancel(self) -> None:
        """Close without rewinding."""
        self.dismiss(None)
