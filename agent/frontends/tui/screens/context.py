"""/context: the session's token timeline full width, the next request by region, and what each compaction dropped."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from agent.frontends.tui.widgets.timeline import STYLES, timeline_text
from agent.log.inspector import LABELS, REGIONS, Dropped, Request
from agent.log.timeline import LABEL_W, Timeline, buckets, short

if TYPE_CHECKING:
    from agent.frontends.tui.host import Host

CSS = """
ContextScreen, CompactionScreen { align: center middle; background: $background 60%; }
#context-box, #compaction-box { width: 96%; height: 92%; border: thick $accent; background: $surface; padding: 0 1; }
#context-box .side-title, #compaction-box .side-title { text-style: bold; color: $accent; margin-top: 1; }
#context-list { height: auto; max-height: 8; }
#compaction-cols { height: 1fr; }
#compaction-cols > VerticalScroll { width: 1fr; padding: 0 1; }
"""


def breakdown_text(request: Request | None, width: int = 40) -> Text:
    """The next request by region as bars, with the free part of the budget (like Claude Code's /context)."""
    if request is None:
        return Text("no session yet", style="dim")
    scale = max(request.budget, request.total, 1)
    out = Text()
    for name in REGIONS:
        tokens = request.regions.get(name, 0)
        bar = "█" * max(1 if tokens else 0, round(width * tokens / scale))
        out.append(f"{LABELS[name]:<22}")
        out.append(f"{bar:<{width}}", style=STYLES[name])
        out.append(f" {tokens:>7,}  {100 * tokens / scale:5.1f}%\n")
    free = max(0, request.budget - request.total)
    out.append(f"{'free (to the budget)':<22}{'░' * round(width * free / scale):<{width}} {free:>7,}  "
               f"{100 * free / scale:5.1f}%\n", style="dim")
    out.append(f"next request: {request.total:,} tokens of a {request.budget:,}-token budget "
               f"({len(request.messages)} messages, {len(request.tools or [])} tool schemas)", style="bold")
    return out


class ChartView(Widget):
    """The full-width chart, redrawn at the screen's width; clicking a ⇊ column opens that compaction."""

    DEFAULT_CSS = "ChartView { height: 17; }"

    def __init__(self, timeline: Timeline, dropped: list[Dropped] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeline = timeline
        self.dropped = dropped or []

    def render(self) -> Text:
        """Chart rows, marker row, step axis and legend."""
        return timeline_text(self.timeline, self.chart_width(), 12, with_legend=True)

    def chart_width(self) -> int:
        """Columns the chart uses."""
        return max(20, self.size.width)

    def compaction_at(self, x: int) -> Dropped | None:
        """The (first) compaction in the column at `x`, if any."""
        cols = buckets(self.timeline.points, max(1, self.chart_width() - LABEL_W - 1))
        i = x - LABEL_W
        numbers = cols[i].compactions if 0 <= i < len(cols) else []
        return self.dropped[numbers[0] - 1] if numbers and numbers[0] <= len(self.dropped) else None

    def on_click(self, event: Any) -> None:
        """A click on a compaction's column shows what it dropped."""
        item = self.compaction_at(int(event.x))
        if item is not None:
            self.app.push_screen(CompactionScreen(item))


def compaction_row(item: Dropped) -> str:
    """One line per compaction in the list."""
    when = f"before step {item.step}" if item.step else "after the last step"
    return (f"⇊ {item.index} ({when}): {len(item.turns)} messages, {short(item.dropped_tokens)} tokens → "
            f"a {short(item.summary_tokens)}-token summary")


class ContextScreen(ModalScreen[None]):
    """The timeline of every request, the next request by region, and the compactions (Enter opens one)."""

    CSS = CSS
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, timeline: Timeline, request: Request | None, dropped: list[Dropped]) -> None:
        super().__init__()
        self.timeline = timeline
        self.request = request
        self.dropped = dropped

    def compose(self) -> ComposeResult:
        """Title, chart, breakdown, compactions."""
        t = self.timeline
        with VerticalScroll(id="context-box"):
            yield Static(f"Context · {len(t.points)} requests · peak {short(t.peak)} · budget {short(t.budget)} · "
                         "Escape closes", classes="side-title")
            yield ChartView(t, self.dropped)
            yield Static("Next request by region", classes="side-title")
            yield Static(breakdown_text(self.request), id="context-breakdown")
            yield Static("Compactions (Enter, or a click on a ⇊ column, shows what one dropped)", classes="side-title")
            if self.dropped:
                yield OptionList(*[Option(compaction_row(d), id=str(d.index)) for d in self.dropped], id="context-list")
            else:
                yield Static("none in this session", classes="dim")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Open the chosen compaction."""
        self.app.push_screen(CompactionScreen(self.dropped[int(event.option.id or 1) - 1]))

    def action_close(self) -> None:
        """Back to the conversation."""
        self.dismiss(None)


class CompactionScreen(ModalScreen[None]):
    """One compaction: the turns it replaced (left) beside the summary it wrote and the scratchpad it kept (right)."""

    CSS = CSS
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, item: Dropped) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        """Two columns under a title."""
        item, e = self.item, self.item.event
        turns = Text()
        for turn in item.turns:
            turns.append(f"{turn['role']} · {turn['tokens']} tokens" + (" · stub\n" if turn["evicted"] else "\n"),
                         style="bold")
            turns.append(str(turn["text"])[:600] + "\n\n", style="dim" if turn["evicted"] else "")
        kept = Text(e.summary + "\n\n")
        kept.append("Scratchpad facts (kept verbatim)\n", style="bold")
        for fact in item.facts:
            kept.append(f"#{fact['id']} {fact['text']}" + (" (also in the summary)" if fact["in_summary"] else "") + "\n")
        with Vertical(id="compaction-box"):
            yield Static(compaction_row(item) + f" · request {short(e.tokens_before)} → {short(e.tokens_after)} · "
                         "Escape closes", classes="side-title")
            with Horizontal(id="compaction-cols"):
                with VerticalScroll():
                    yield Static(f"Replaced turns ({short(item.dropped_tokens)} tokens)", classes="side-title")
                    yield Static(turns)
                with VerticalScroll():
                    yield Static(f"Summary it wrote ({short(item.summary_tokens)} tokens)", classes="side-title")
                    yield Static(kept)

    def action_close(self) -> None:
        """Back to the timeline."""
        self.dismiss(None)


def load_log(path: Any) -> tuple[Timeline, list[Dropped]]:
    """The timeline and the compactions rebuilt from a session log (slow on long sessions: run it in a thread)."""
    from agent.log.inspector import compactions
    from agent.log.writer import read_log
    from agent.log.timeline import build_timeline

    loaded = read_log(path)
    return build_timeline(loaded), compactions(loaded)


async def cmd_context(app: Host, _: str) -> None:
    """/context: token timeline, next request, compactions."""
    from agent.log.inspector import build_request

    session = app.session
    if session is None:
        app.push_screen(ContextScreen(Timeline([]), None, []))
        return
    request = build_request(session, session.state.totals.steps + 1)  # on the loop's thread: the history is not moving
    timeline, dropped = (Timeline([]), []) if session.log is None else await asyncio.to_thread(load_log, session.log.path)
    app.push_screen(ContextScreen(timeline, request, dropped))
