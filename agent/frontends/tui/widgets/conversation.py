"""The conversation: a scrolling list of blocks that follows the newest one until the user scrolls up."""
from __future__ import annotations

from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

MAX_BLOCKS = 200


class Conversation(VerticalScroll):
    """Blocks in order; older ones beyond the cap are replaced by one 'N earlier items hidden' line.

    Following uses textual's anchor: every layout keeps the bottom in view (so a block that grows after it was
    mounted, like a long diff or Markdown that renders later, cannot push the reply below the fold), and any scroll
    by the user releases it. Reaching the bottom again, or `jump_to_latest`, re-engages it.
    """

    can_focus = False  # typing belongs to the composer; the conversation scrolls with PageUp/PageDown and the mouse

    class FollowChanged(Message):
        """Following the bottom started or stopped (the app shows or hides the 'jump to latest' hint)."""

        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(self, cap: int = MAX_BLOCKS, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.cap = cap
        self.hidden = 0
        self.hidden_line = Static("", classes="hidden-line")
        self.hidden_line.display = False
        self.blocks: list[Widget] = []
        self._was_following = True
        self.muted = False  # replay jumping far: older blocks are counted as hidden, never mounted
        # At least as tall as the view: short conversations stay at the top while the anchor holds the bottom.
        self.column = Vertical(self.hidden_line, id="column")

    def compose(self):  # type: ignore[no-untyped-def]
        """One column that holds the (hidden) marker line and the blocks."""
        yield self.column

    def on_mount(self) -> None:
        """Follow the bottom from the start."""
        self.anchor()

    @property
    def following(self) -> bool:
        """True while the newest content is kept in view."""
        return self._anchored and not self._anchor_released

    @property
    def has_more_below(self) -> bool:
        """True when the user has scrolled up and something is below the visible part."""
        return not self.following and self.scroll_y < self.max_scroll_y

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Textual's scroll handling, then tell the app when following changed."""
        super().watch_scroll_y(old_value, new_value)
        self._report_follow()

    def _report_follow(self) -> None:
        """Post FollowChanged when the follow state flipped."""
        now = self.following or not self.has_more_below
        if now != self._was_following:
            self._was_following = now
            self.post_message(self.FollowChanged(now))

    def add(self, block: Widget) -> Widget:
        """Mount a block at the end and keep to the cap (the anchor keeps it in view while following)."""
        if self.muted:
            self.hidden += 1
            self._hidden_note()
            return block
        self.blocks.append(block)
        self.column.mount(block)
        self._trim()
        if not self.following:
            self.call_after_refresh(self._report_follow)
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
        self._hidden_note()

    def _hidden_note(self) -> None:
        """Say how many earlier items are not shown."""
        self.hidden_line.update(f"… {self.hidden} earlier items hidden (the session log has everything)")
        self.hidden_line.display = True

    def follow(self) -> None:
        """Streaming text grew: the anchor keeps it in view; only note that there is more below otherwise."""
        if not self.following:
            self._report_follow()

    def jump_to_latest(self) -> None:
        """Scroll to the newest block and follow it again."""
        self.anchor()
        self.scroll_end(animate=False, immediate=False)
        self._report_follow()

    def clear_blocks(self) -> None:
        """Remove everything (a new session)."""
        for widget in self.blocks:
            widget.remove()
        self.blocks.clear()
        self.hidden = 0
        self.hidden_line.display = False
        self.jump_to_latest()
