"""/sessions: pick an earlier session of this repository to resume."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


def row_text(info: Any) -> str:
    """One line per session: id, status, cost, task."""
    cost = "" if info.cost is None else f" ${info.cost:.3f}"
    return f"{info.id}  {info.status}{cost}  {info.task or '(no task)'}"


class SessionsScreen(ModalScreen["Path | None"]):
    """A list of sessions; Enter resumes the highlighted one."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, rows: list[Any]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """Title and the list."""
        with Vertical(id="sessions-box"):
            yield Static("Resume a session (Enter) · Escape to cancel", classes="side-title")
            if self.rows:
                yield OptionList(*[Option(row_text(r), id=str(i)) for i, r in enumerate(self.rows)], id="sessions-list")
            else:
                yield Static("No earlier sessions for this repository.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Resume the chosen session."""
        self.dismiss(self.rows[int(event.option.id or 0)].path)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
