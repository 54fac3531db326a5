"""/commit: the drafted message, editable; Ctrl+S commits the session's files, Escape cancels."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


class CommitScreen(ModalScreen["str | None"]):
    """Edit the commit message; it is committed with your git identity, only the files this session changed."""

    BINDINGS = [Binding("ctrl+s", "commit", "Commit", priority=True), Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    CommitScreen { align: center middle; }
    #commit-box { width: 90%; max-width: 110; height: auto; max-height: 90%; border: round $success;
                  background: $surface; padding: 0 1; }
    #commit-message { height: 14; }
    """

    def __init__(self, message: str, files: list[str]) -> None:
        super().__init__()
        self.message = message
        self.files = files

    def compose(self) -> ComposeResult:
        """Title, the files, the message editor."""
        with Vertical(id="commit-box"):
            yield Static("Commit this session's changes · Ctrl+S commits · Escape cancels", classes="side-title")
            yield Static(f"{len(self.files)} file(s): " + ", ".join(self.files), classes="dim")
            yield TextArea(self.message, id="commit-message", soft_wrap=True)

    def on_mount(self) -> None:
        """Edit the message right away."""
        self.query_one(TextArea).focus()

    def action_commit(self) -> None:
        """Commit with the edited message."""
        text = self.query_one(TextArea).text
        self.dismiss(text if text.strip() else None)

    def action_cancel(self) -> None:
        """Close without committing."""
        self.dismiss(None)
