"""The token timeline as one inline SVG: no scripts, readable at 1,000 steps (wide sessions are bucketed)."""
from __future__ import annotations

from html import escape

from agent.log.inspector import LABELS, REGIONS
from agent.log.timeline import Point, Timeline, buckets, short

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 24, 34
LEGEND_H = 40
COLORS = {"tools": "#5f87af", "system": "#87afd7", "instructions": "#87afaf", "summary": "#d787d7",
          "turns": "#87d787", "stubs": "#d7af87", "scratchpad": "#ffd75f"}
BUDGET, EVICT, COMPACT = "#d7005f", "#ff8700", "#af0000"


def _n(value: float) -> str:
    """A coordinate with at most one decimal (stable output for snapshots)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _columns(point: Point, x: float, w: float, y_of: object) -> dict[str, str]:
    """Path fragments per region for one column (a stacked bar)."""
    out: dict[str, str] = {}
    base = 0
    for name in REGIONS:
        size = point.regions.get(name, 0)
        if size:
            y_top, y_low = y_of(base + size), y_of(base)  # type: ignore[operator]
            out[name] = f"M{_n(x)} {_n(y_top)}h{_n(w)}v{_n(y_low - y_top)}h{_n(-w)}z"
        base += size
    return out


def _tip(point: Point, first: int, last: int) -> str:
    """The hover text of a column."""
    steps = f"step {last}" if first == last else f"steps {first}–{last} (largest: step {point.step})"
    parts = [f"{steps}: {point.total} tokens (budget {point.budget})"]
    parts += [f"{LABELS[r]} {point.regions[r]}" for r in REGIONS if point.regions.get(r)]
    if point.input_tokens:
        parts.append(f"provider input {point.input_tokens}, cache read {point.cache_read}, cache write {point.cache_write}")
    if point.evicted:
        parts.append(f"{point.evicted} outputs evicted before it")
    parts += [f"compaction {n} before it" for n in point.compactions]
    return escape("\n".join(parts))


def _axes(top: float, plot_w: float, plot_h: float, cols: list[Point], step_of: list[tuple[int, int]]) -> list[str]:
    """Y ticks with token labels and a few step labels on the x axis."""
    out = []
    for k in range(5):
        value = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        out.append(f'<line x1="{LEFT}" x2="{_n(LEFT + plot_w)}" y1="{_n(y)}" y2="{_n(y)}" stroke="#e4e4e4"/>'
                   f'<text x="{LEFT - 4}" y="{_n(y + 4)}" text-anchor="end">{short(int(value))}</text>')
    count = len(cols)
    for k in range(min(6, count)):
        i = round(k * (count - 1) / max(1, min(6, count) - 1))
        x = LEFT + (i + 0.5) * plot_w / count
        out.append(f'<text x="{_n(x)}" y="{_n(TOP + plot_h + 26)}" text-anchor="middle">{step_of[i][1]}</text>')
    out.append(f'<text x="{_n(LEFT + plot_w / 2)}" y="{HEIGHT - 2}" text-anchor="middle">step</text>')
    return out


def _legend(y: float) -> list[str]:
    """Colour swatches, the cache shading, the budget line and the marks."""
    out, x = [], float(LEFT)
    items = [(COLORS[r], LABELS[r]) for r in REGIONS]
    for color, label in items:
        out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{_n(x + 14)}" y="{_n(y + 9)}">{escape(label)}</text>')
        x += 22 + 6.2 * len(label)
    y2, x = y + 18, float(LEFT)
    marks = [('<rect x="{x}" y="{y}" width="10" height="10" fill="url(#cached)" stroke="#555"/>', "cache read (provider)"),
             (f'<line x1="{{x}}" x2="{{x2}}" y1="{{ym}}" y2="{{ym}}" stroke="{BUDGET}" stroke-dasharray="4 2"/>', "budget"),
             (f'<path d="M{{x}} {{yb}}l5 -9l5 9z" fill="{EVICT}"/>', "eviction"),
             (f'<line x1="{{xm}}" x2="{{xm}}" y1="{{y}}" y2="{{yb}}" stroke="{COMPACT}" stroke-width="2"/>', "compaction")]
    for shape, label in marks:
        out.append(shape.format(x=_n(x), x2=_n(x + 10), xm=_n(x + 5), y=_n(y2), ym=_n(y2 + 5), yb=_n(y2 + 10))
                   + f'<text x="{_n(x + 14)}" y="{_n(y2 + 9)}">{escape(label)}</text>')
        x += 22 + 6.2 * len(label)
    return out


def _ranges(points: list[Point], cols: list[Point]) -> list[tuple[int, int]]:
    """(first step, last step) each column covers."""
    if len(cols) == len(points):
        return [(p.step, p.step) for p in points]
    n, w = len(points), len(cols)
    return [(points[i * n // w].step, points[(i + 1) * n // w - 1].step) for i in range(w)]


def render_svg(timeline: Timeline, link: str = "#compaction-{n}") -> str:
    """The whole chart; compaction marks link to `link` (with {n} the compaction number)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    cols = buckets(timeline.points, int(plot_w // 2))
    ranges = _ranges(timeline.points, cols)
    top = max(timeline.peak, max((p.budget for p in cols), default=0), 1) * 1.05

    def y_of(tokens: float) -> float:
        """The y coordinate of a token count."""
        return TOP + plot_h - plot_h * tokens / top

    w = plot_w / max(1, len(cols))
    gap = 0.2 * w if w >= 4 else 0
    paths: dict[str, list[str]] = {r: [] for r in REGIONS}
    extra, tips, budget = [], [], []
    for i, point in enumerate(cols):
        x = LEFT + i * w
        for name, frag in _columns(point, x + gap / 2, w - gap, y_of).items():
            paths[name].append(frag)
        if point.cache_read:
            h = plot_h * min(point.cache_read, point.total) / top
            extra.append(f'<rect x="{_n(x + gap / 2)}" y="{_n(y_of(0) - h)}" width="{_n(w - gap)}" height="{_n(h)}" '
                         'fill="url(#cached)"/>')
        budget.append(f"{'M' if i == 0 else 'L'}{_n(x)} {_n(y_of(point.budget))}h{_n(w)}")
        if point.evicted:
            half = min(4.0, max(0.75, w / 2 - 0.25))  # narrow columns get narrow marks, so dense ones stay apart
            extra.append(f'<path d="M{_n(x + w / 2 - half)} {_n(TOP + plot_h + 10)}l{_n(half)} -8l{_n(half)} 8z" '
                         f'fill="{EVICT}">'
                         f'<title>{point.evicted} tool outputs evicted</title></path>')
        for n in point.compactions:
            href = escape(link.format(n=n))
            extra.append(f'<a href="{href}"><line x1="{_n(x + w / 2)}" x2="{_n(x + w / 2)}" y1="{TOP}" '
                         f'y2="{_n(TOP + plot_h + 10)}" stroke="{COMPACT}" stroke-width="2"/>'
                         f'<text x="{_n(x + w / 2 + 3)}" y="{TOP + 10}" fill="{COMPACT}">⇊ {n}</text>'
                         f'<title>compaction {n}: see what it dropped</title></a>')
        tips.append(f'<rect x="{_n(x)}" y="{TOP}" width="{_n(w)}" height="{plot_h}" fill="transparent">'
                    f'<title>{_tip(point, *ranges[i])}</title></rect>')
    body = [f'<path fill="{COLORS[r]}" d="{"".join(paths[r])}"/>' for r in REGIONS if paths[r]]
    budget_line = f'<path d="{"".join(budget)}" fill="none" stroke="{BUDGET}" stroke-dasharray="6 3"/>' if budget else ""
    defs = ('<defs><pattern id="cached" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff" fill-opacity="0.25"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#303030" stroke-width="1.5" stroke-opacity="0.55"/></pattern></defs>')
    total_h = HEIGHT + LEGEND_H
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total_h}" width="100%" '
             f'role="img" font-family="sans-serif" font-size="11">', defs,
             f'<title>Context per request: {len(timeline.points)} requests, peak {timeline.peak} tokens</title>',
             *_axes(top, plot_w, plot_h, cols, ranges), *body, *extra, budget_line, *tips, *_legend(HEIGHT + 4), "</svg>"]
    return "\n".join(p for p in parts if p) + "\n"
