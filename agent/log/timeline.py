"""The token timeline of a session: every request's size by region, the budget, evictions, compactions, cache reads.

Data comes from `agent.log.inspector` (requests rebuilt from the log). Drawing is plain: a Unicode block chart made of
(char, style) cells that a terminal colours with ANSI codes and the TUI with rich styles, or one text row per step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.core.events import ContextCompacted, ContextEvicted, Event
from agent.log.inspector import LABELS, REGIONS, Request, requests
from agent.log.writer import LoadedLog

BLOCKS = " ▁▂▃▄▅▆▇█"
CACHED = "▓"
ANSI = {"tools": "38;5;67", "system": "38;5;110", "instructions": "38;5;109", "summary": "38;5;176",
        "turns": "38;5;114", "stubs": "38;5;180", "scratchpad": "38;5;221", "budget": "38;5;203",
        "evict": "38;5;214", "compact": "1;38;5;203", "axis": "2"}
LABEL_W = 7  # columns of the y-axis labels, left of the bars
Cell = tuple[str, str]  # (character, style name: a region, "budget", "evict", "compact", "axis" or "")


@dataclass
class Point:
    """One request: tokens per region, the budget then, provider usage, and what happened just before it."""

    step: int
    regions: dict[str, int]
    budget: int
    input_tokens: int = 0
    cache_read: int = 0
    cache_write: int = 0
    evicted: int = 0  # tool outputs evicted since the previous request
    compactions: list[int] = field(default_factory=list)  # numbers of the compactions since the previous request

    @property
    def total(self) -> int:
        """Input tokens of the request."""
        return sum(self.regions.values())


@dataclass
class Timeline:
    """Every request of a session in order."""

    points: list[Point]

    @property
    def peak(self) -> int:
        """The largest request."""
        return max((p.total for p in self.points), default=0)

    @property
    def budget(self) -> int:
        """The latest budget (it changes only when the model does)."""
        return self.points[-1].budget if self.points else 0


def point_for(request: Request, marks: list[Event], compacted: int) -> Point:
    """A timeline point from a rebuilt request and the context events logged before it."""
    usage = request.provider
    numbers = list(range(compacted + 1, compacted + 1 + sum(isinstance(m, ContextCompacted) for m in marks)))
    return Point(step=request.step, regions=dict(request.regions), budget=request.budget,
                 input_tokens=int(usage.get("input_tokens") or 0), cache_read=int(usage.get("cache_read_tokens") or 0),
                 cache_write=int(usage.get("cache_write_tokens") or 0),
                 evicted=sum(len(m.call_ids) for m in marks if isinstance(m, ContextEvicted)), compactions=numbers)


def build_timeline(loaded: LoadedLog) -> Timeline:
    """The timeline of a logged session."""
    points: list[Point] = []
    compacted = 0
    for request, marks in requests(loaded):
        point = point_for(request, marks, compacted)
        compacted += len(point.compactions)
        points.append(point)
    return Timeline(points)


def buckets(points: list[Point], width: int) -> list[Point]:
    """At most `width` points: each bucket shows its largest request, with all its evictions and compactions."""
    if len(points) <= width:
        return list(points)
    out = []
    for i in range(width):
        group = points[i * len(points) // width:(i + 1) * len(points) // width]
        top = max(group, key=lambda p: p.total)
        out.append(Point(step=top.step, regions=top.regions, budget=top.budget, input_tokens=top.input_tokens,
                         cache_read=top.cache_read, cache_write=top.cache_write,
                         evicted=sum(p.evicted for p in group), compactions=[n for p in group for n in p.compactions]))
    return out


def short(n: int) -> str:
    """12345 -> '12.3k'."""
    if n >= 100_000:
        return f"{n / 1000:.0f}k"
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def _cell(point: Point, low: float, high: float) -> Cell:
    """The character and style of one chart cell covering tokens [low, high)."""
    total = point.total
    if total <= low:
        return ("┄", "budget") if low <= point.budget < high else (" ", "")
    middle = (low + high) / 2
    edge = 0
    region = REGIONS[-1]
    for name in REGIONS:
        edge += point.regions.get(name, 0)
        if edge > min(middle, total - 1):
            region = name
            break
    if total < high:
        eighths = max(1, min(8, round((total - low) / (high - low) * 8)))
        return BLOCKS[eighths], region
    return (CACHED if middle < point.cache_read else "█"), region


def chart(timeline: Timeline, width: int, height: int) -> list[list[Cell]]:
    """Rows of cells (top row first): y-axis labels, the stacked columns, a marker row and the step axis."""
    label_w = LABEL_W
    cols = buckets(timeline.points, max(1, width - label_w - 1))
    top = max(timeline.peak, max((p.budget for p in cols), default=0), 1) * 1.05
    unit = top / height
    rows: list[list[Cell]] = []
    for r in range(height - 1, -1, -1):
        low, high = r * unit, (r + 1) * unit
        label = short(int(high)) if r in (height - 1, 0) or (height >= 6 and r == height // 2) else ""
        rows.append([(c, "axis") for c in f"{label:>{label_w - 1}} ┤"] + [_cell(p, low, high) for p in cols])
    marks = [("⇊", "compact") if p.compactions else ("✂", "evict") if p.evicted else ("─", "axis") for p in cols]
    rows.append([(c, "axis") for c in " " * (label_w - 1) + "└"] + marks)
    first, last = (f"step {cols[0].step}", f"step {timeline.points[-1].step}") if cols else ("", "")
    if first == last or len(first) + len(last) >= len(cols):
        first, last = "", f"{len(timeline.points)} requests"
    axis = " " * label_w + first + " " * max(1, len(cols) - len(first) - len(last)) + last
    rows.append([(c, "axis") for c in axis])
    return rows


def legend() -> list[Cell]:
    """One row naming the colours and marks."""
    cells: list[Cell] = []
    for name in REGIONS:
        cells += [("█", name)] + [(c, "") for c in f" {LABELS[name]}  "]
    for char, style, text in ((CACHED, "turns", "cache read"), ("┄", "budget", "budget"), ("✂", "evict", "eviction"),
                              ("⇊", "compact", "compaction")):
        cells += [(char, style)] + [(c, "") for c in f" {text}  "]
    return cells


def ansi(rows: list[list[Cell]], color: bool = True) -> str:
    """The cells as terminal text, coloured with ANSI codes when `color`."""
    lines = []
    for row in rows:
        parts = []
        for char, style in row:
            code = ANSI.get(style) if color else None
            parts.append(f"\x1b[{code}m{char}\x1b[0m" if code and char != " " else char)
        lines.append("".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def plain_rows(timeline: Timeline) -> str:
    """One tab-separated row per request (for pipes and scripts)."""
    head = ["step", "total", *REGIONS, "provider_input", "cache_read", "cache_write", "budget", "marks"]
    lines = ["\t".join(head)]
    for p in timeline.points:
        marks = [f"evicted {p.evicted}"] if p.evicted else []
        marks += [f"compaction {n}" for n in p.compactions]
        values: list[Any] = [p.step, p.total, *(p.regions.get(r, 0) for r in REGIONS), p.input_tokens, p.cache_read,
                             p.cache_write, p.budget, ", ".join(marks)]
        lines.append("\t".join(str(v) for v in values))
    return "\n".join(lines) + "\n"


def render_terminal(timeline: Timeline, width: int, height: int = 14, color: bool = True) -> str:
    """The full chart with a title and a legend, for `pith replay ID --timeline` on a terminal."""
    if not timeline.points:
        return "no model requests in this session yet\n"
    title = (f"context per request: {len(timeline.points)} requests, peak {short(timeline.peak)} tokens, "
             f"budget {short(timeline.budget)}, {sum(p.evicted for p in timeline.points)} outputs evicted, "
             f"{sum(len(p.compactions) for p in timeline.points)} compactions")
    rows = chart(timeline, width, height)
    return title + "\n" + ansi(rows, color) + ansi([legend()], color)
