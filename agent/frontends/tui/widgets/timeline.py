"""Context charts for the TUI: the compact one in the side panel (fed by events) and the styled cells of any chart."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from agent.core.events import AssistantMessage, ContextCompacted, ContextEvicted, Event
from agent.log.timeline import Cell, Point, Timeline, chart, legend

STYLES = {"tools": "#5f87af", "system": "#87afd7", "instructions": "#87afaf", "summary": "#d787d7",
          "turns": "#87d787", "stubs": "#d7af87", "scratchpad": "#ffd75f", "budget": "#d7005f",
          "evict": "bold #ff8700", "compact": "bold #ff5f5f", "axis": "dim"}


def cells_text(rows: list[list[Cell]]) -> Text:
    """Chart cells as a rich Text, one line per row."""
    out = Text(no_wrap=True, overflow="crop")
    for n, row in enumerate(rows):
        if n:
            out.append("\n")
        for char, style in row:
            out.append(char, style=STYLES.get(style, ""))
    return out


def timeline_text(timeline: Timeline, width: int, height: int, with_legend: bool = False) -> Text:
    """A chart (and optionally its legend) sized to `width` columns and `height` rows of bars."""
    if not timeline.points:
        return Text("no requests yet", style="dim")
    text = cells_text(chart(timeline, width, height))
    if with_legend:
        text.append("\n")
        text.append_text(cells_text([legend()]))
    return text


class ContextChart(Widget):
    """The side panel's chart: each request's size (cache reads shaded), the budget, ✂ evictions, ⇊ compactions.

    It is fed the session's events; the per-region breakdown of every request is behind /context (click here).
    """

    DEFAULT_CSS = "ContextChart { height: 7; width: 1fr; }"
    ROWS = 4

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.points: list[Point] = []
        self.budget = 0
        self._evicted = 0
        self._compacted: list[int] = []
        self._count = 0

    def record(self, event: Event, budget: int | None = None) -> None:
        """Take one session event into account (only context events and model replies matter)."""
        if isinstance(event, ContextEvicted):
            self._evicted += len(event.call_ids)
        elif isinstance(event, ContextCompacted):
            self._count += 1
            self._compacted.append(self._count)
        elif isinstance(event, AssistantMessage):
            self.budget = budget or self.budget
            cached = event.cache_read_tokens or event.cached_tokens
            self.points.append(Point(step=event.step, regions={"turns": event.context_tokens}, budget=self.budget,
                                     input_tokens=event.input_tokens, cache_read=cached, evicted=self._evicted,
                                     compactions=self._compacted))
            self._evicted, self._compacted = 0, []
            self.refresh()

    def reset(self) -> None:
        """Forget everything (a new session)."""
        self.points, self.budget, self._evicted, self._compacted, self._count = [], 0, 0, [], 0
        self.refresh()

    def render(self) -> Text:
        """The chart at the widget's current width."""
        return timeline_text(Timeline(self.points), max(12, self.size.width), self.ROWS)

    class Opened(Message):
        """The user clicked the chart: the app opens the full /context view."""

    def on_click(self) -> None:
        """Ask for the full /context view."""
        self.post_message(self.Opened())
