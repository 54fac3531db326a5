"""The token timeline from the 100-step golden log: SVG snapshot, Unicode chart, plain rows, TUI chart and /context.

Set PITH_UPDATE_GOLDEN=1 to rewrite tests/golden/long_session_timeline.svg after a deliberate change (tool schemas,
the system prompt or the chart itself all move it).
"""
from __future__ import annotations

import dataclasses
import os
import xml.dom.minidom
from pathlib import Path
from typing import Any

import pytest

from agent.frontends.export.transcript import export_html
from agent.log.inspector import REGIONS, compactions
from agent.log.writer import read_log
from agent.log.timeline import Point, Timeline, buckets, build_timeline, plain_rows, render_terminal
from agent.frontends.export.timeline_svg import render_svg

GOLDEN = Path(__file__).parents[1] / "golden" / "long_session.jsonl"
SVG_SNAPSHOT = GOLDEN.with_name("long_session_timeline.svg")


@pytest.fixture(scope="module")
def golden() -> Any:
    """The golden log, parsed once."""
    return read_log(GOLDEN)


@pytest.fixture(scope="module")
def timeline(golden: Any) -> Timeline:
    """Its timeline, built once."""
    return build_timeline(golden)


def pinned(timeline: Timeline) -> Timeline:
    """The timeline with the fixed prefix pinned: tool schemas and the system prompt are edited often, and the
    snapshots pin the drawing (test_timeline_of_golden_log checks the real numbers)."""
    points = [dataclasses.replace(p, regions={**p.regions, "tools": 1000, "system": 300}) for p in timeline.points]
    return Timeline(points)


def synthetic(steps: int) -> Timeline:
    """A long timeline with an eviction every 7 steps and a compaction every 150."""
    points = []
    for n in range(1, steps + 1):
        turns = 2000 + (n % 150) * 40
        points.append(Point(step=n, regions={"tools": 1000, "system": 300, "turns": turns, "stubs": n % 9 * 20,
                                             "scratchpad": 80}, budget=9000, input_tokens=turns + 1400,
                            cache_read=1300 if n % 3 else 0, evicted=3 if n % 7 == 0 else 0,
                            compactions=[n // 150] if n % 150 == 0 else []))
    return Timeline(points)


def test_timeline_of_golden_log(golden: Any, timeline: Timeline) -> None:
    assert len(timeline.points) == 100
    assert sum(len(p.compactions) for p in timeline.points) == 5
    assert [n for p in timeline.points for n in p.compactions] == [1, 2, 3, 4, 5]
    assert sum(p.evicted for p in timeline.points) == sum(len(e.call_ids) for e in golden.events
                                                          if e.type == "context_evicted")
    assert all(p.total <= p.budget for p in timeline.points) and timeline.budget == 9000
    after = next(p for p in timeline.points if p.compactions)
    assert after.regions["summary"] > 0 and after.total < timeline.points[after.step - 2].total
    assert all(p.regions["tools"] == timeline.points[0].regions["tools"] for p in timeline.points)


def test_svg_snapshot(timeline: Timeline) -> None:
    svg = render_svg(pinned(timeline))
    xml.dom.minidom.parseString(svg)  # well-formed
    assert "<script" not in svg and svg.count('href="#compaction-') == 5
    if os.environ.get("PITH_UPDATE_GOLDEN") or not SVG_SNAPSHOT.exists():
        SVG_SNAPSHOT.write_text(svg, encoding="utf-8")
    assert svg == SVG_SNAPSHOT.read_text(encoding="utf-8"), "run with PITH_UPDATE_GOLDEN=1 to accept the change"


def test_svg_readable_at_1000_steps() -> None:
    big = synthetic(1000)
    svg = render_svg(big)
    xml.dom.minidom.parseString(svg)
    assert svg.count("<title>steps ") == len(buckets(big.points, 446)) == 446  # bucketed: ≥ 2 px per column
    assert svg.count('href="#compaction-') == 6  # every compaction keeps its mark
    assert "steps 1–2 (largest" in svg


def test_buckets_keep_marks_and_peaks() -> None:
    points = synthetic(1000).points
    cols = buckets(points, 100)
    assert len(cols) == 100
    assert sum(c.evicted for c in cols) == sum(p.evicted for p in points)
    assert [n for c in cols for n in c.compactions] == list(range(1, 7))
    assert max(c.total for c in cols) == max(p.total for p in points)


def test_unicode_chart_and_plain_rows(timeline: Timeline) -> None:
    text = render_terminal(timeline, width=90, height=10, color=False)
    lines = text.splitlines()
    assert all(len(line) <= 90 for line in lines[1:-1])
    marks = next(line for line in lines if line.lstrip().startswith("└"))
    assert marks.count("⇊") == 5 and "✂" in marks
    assert "┄" in text and "█" in text and "100 requests" in lines[0]
    coloured = render_terminal(timeline, width=90, height=10, color=True)
    assert "\x1b[" in coloured and "\x1b[" not in text
    rows = plain_rows(timeline).splitlines()
    assert len(rows) == 101 and rows[0].split("\t")[:3] == ["step", "total", "tools"]
    for row, point in zip(rows[1:], timeline.points):
        cells = row.split("\t")
        assert int(cells[1]) == sum(int(c) for c in cells[2:2 + len(REGIONS)]) == point.total
    assert sum("compaction" in r for r in rows[1:]) == 5


def test_export_links_marks_to_compactions(golden: Any) -> None:
    page = export_html(golden)
    assert "<script" not in page and page.count("<svg") == 1
    for k in range(1, 6):
        assert f'href="#compaction-{k}"' in page and f'id="compaction-{k}"' in page
    assert "Replaced turns" in page and "Summary it wrote" in page and "FACT-01" in page


def test_replay_timeline_command_plain_when_piped(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli.app import app, register_all

    register_all()
    result = CliRunner().invoke(app, ["replay", str(GOLDEN), "--timeline"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("step\ttotal") and len(result.output.splitlines()) == 101


def test_tui_side_chart_and_context_screen_snapshots(snap_compare: Any, golden: Any, timeline: Timeline) -> None:
    from agent.frontends.tui.screens.context import ContextScreen
    from agent.log.inspector import request_at
    from tests.frontends.tui.test_tui_snapshots import fixed_app

    events = [e for e in golden.events if e.type in ("assistant_message", "context_evicted", "context_compacted")]

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        app.view.budget = 9000
        for event in events:
            app.on_session_event(event)
        await pilot.pause(0.2)
        side_chart = str(app.query_one("#context-chart").render())
        assert "⇊" in side_chart and "✂" in side_chart
        following = request_at(golden)
        following.regions.update(tools=1000, system=300)
        app.push_screen(ContextScreen(pinned(timeline), following, compactions(golden)))
        await pilot.pause(0.3)

    assert snap_compare(fixed_app([]), terminal_size=(120, 48), run_before=run_before)


def test_tui_compaction_screen_snapshot(snap_compare: Any, golden: Any) -> None:
    from agent.frontends.tui.screens.context import CompactionScreen
    from tests.frontends.tui.test_tui_snapshots import fixed_app

    async def run_before(pilot: Any) -> None:
        pilot.app.push_screen(CompactionScreen(compactions(golden)[0]))
        await pilot.pause(0.3)

    assert snap_compare(fixed_app([]), terminal_size=(120, 40), run_before=run_before)


async def test_context_command_in_a_live_session(tmp_path: Path, session_dir: Path) -> None:
    from agent.frontends.tui.app import PithApp
    from agent.frontends.tui.screens.context import CompactionScreen, ContextScreen
    from tests.frontends.tui.test_tui import make_launch, run_demo_turn
    from agent.demo import TASK, prepare_repo

    repo = prepare_repo(tmp_path / "demo")
    app = PithApp(make_launch(repo, session_dir), task=TASK, frozen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await run_demo_turn(pilot, app)
        steps = app.session.totals.steps
        assert len(app.query_one("#context-chart").points) == steps > 0
        await pilot.press(*"/context", "enter")
        for _ in range(100):
            if isinstance(app.screen, ContextScreen):
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, ContextScreen) and len(screen.timeline.points) == steps
        assert screen.request is not None and screen.request.step == steps + 1
        assert screen.request.regions["tools"] > 0 and "next request" in str(screen.query_one("#context-breakdown").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, (ContextScreen, CompactionScreen))


async def test_click_on_a_compaction_column_opens_it(golden: Any, timeline: Timeline) -> None:
    from agent.frontends.tui.screens.context import ChartView, CompactionScreen, ContextScreen
    from agent.log.timeline import LABEL_W
    from tests.frontends.tui.test_tui_snapshots import fixed_app

    app = fixed_app([])
    async with app.run_test(size=(120, 48)) as pilot:
        dropped = compactions(golden)
        app.push_screen(ContextScreen(timeline, None, dropped))
        await pilot.pause(0.2)
        chart = app.screen.query_one(ChartView)
        cols = buckets(timeline.points, chart.chart_width() - LABEL_W - 1)
        x = LABEL_W + next(i for i, c in enumerate(cols) if c.compactions == [3])
        assert chart.compaction_at(LABEL_W - 1) is None and chart.compaction_at(x) is dropped[2]
        await pilot.click(ChartView, offset=(x, 5))
        await pilot.pause(0.2)
        assert isinstance(app.screen, CompactionScreen) and app.screen.item.index == 3
