"""The conversation: a scrolling list of blocks with a cap on how many stay mounted."""
from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

MAX_BLOCKS = 200


class Conversation(VerticalScroll):
    """Blocks in order; older ones beyond the cap are replaced by one 'N earlier items hidden' line."""

    def __init__(self, cap: int = MAX_BLOCKS, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cap = cap
        self.hidden = 0
        self.hidden_line = Static("", classes="hidden-line")
        self.hidden_line.display = False
        self.blocks: list[Widget] = []

    def compose(self):  # type: ignore[no-untyped-def]
        """Start with the (hidden) marker line."""
        yield self.hidden_line

    def add(self, block: Widget) -> Widget:
        """Mount a block at the end, keep to the cap, follow the bottom if we were there."""
        follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        self.blocks.append(block)
        self.mount(block)
        self._trim()
        if follow:
            self.scroll_end(animate=False, immediate=False)
        return block

    def _trim(self) -> None:
        """Unmount the oldest blocks beyond the cap."""
        extra = len(self.blocks) - self.cap
        if extra <= 0:
            return
        old, self.blocks = self.blocks[:extra], self.blocks[extra:]
        for widget in old:
            widget.remove()
        self.hidden += extra
        self.hidden_line.update(f"… {self.hidden} earlier items hidden (the session log has everything)")
        self.hidden_line.display = True

    def follow(self) -> None:
        """Keep the newest content in view while streaming if the user has not scrolled up."""
        if self.is_vertical_scroll_end or self.max_scroll_y - self.scroll_y <= 3:
            self.scroll_end(animate=False, immediate=False)

    def clear_blocks(self) -> None:
        """Remove everything (a new session)."""
        for widget in self.blocks:
            widget.remove()
        self.blocks.clear()
        self.hidden = 0
        self.hidden_line.display = False
