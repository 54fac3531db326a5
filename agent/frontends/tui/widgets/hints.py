"""One-line bars above the composer: 'jump to latest' while scrolled up, and the messages queued for after the turn."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

JUMP_TEXT = "↓ newer output below · End (empty composer) or Ctrl+L: jump to latest"


class JumpHint(Static):
    """Shown while the user has scrolled up and there is newer output below."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(Text(JUMP_TEXT), **kwargs)  # type: ignore[arg-type]
        self.display = False


class QueuedBar(Static):
    """Messages typed while a turn runs: shown here, sent together when the turn ends (Claude Code's behaviour)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.items: list[str] = []
        self.display = False

    def push(self, text: str) -> None:
        """Queue one message."""
        self.items.append(text)
        self._redraw()

    def take(self) -> str:
        """Every queued message as one text (empty when none), clearing the queue."""
        text, self.items = "\n\n".join(self.items), []
        self._redraw()
        return text

    def _redraw(self) -> None:
        """One line per queued message, cut to the width."""
        self.display = bool(self.items)
        out = Text()
        for n, item in enumerate(self.items):
            first = item.strip().splitlines()[0] if item.strip() else ""
            more = " …" if "\n" in item.strip() else ""
            out.append("⏵ queued: ", style="bold")
            out.append(first[:200] + more)
            if n == len(self.items) - 1:
                out.append("   (sent after this turn)", style="dim")
            else:
                out.append("\n")
        self.update(out)
