"""`pith replay ID --tui`: the recorded session, stepped through read-only with the live UI's widgets."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.frontends.tui.replay import ReplayApp, run_replay, stop_points
from agent.frontends.tui.widgets.blocks import AssistantBlock, DiffBlock, ToolBlock, UserBlock
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.conversation import Conversation
from agent.log.writer import LoadedLog, read_log

SIZE = (90, 30)


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> LoadedLog:
    """The demo session's log (the scripted model fixing the sample repo)."""
    from agent.demo import run_demo

    base = tmp_path_factory.mktemp("replay")
    assert run_demo(base, base / "sessions") == 0
    return read_log(next((base / "sessions").glob("*.jsonl")))


def kinds(app: ReplayApp) -> list[type]:
    """The block types shown, in order."""
    return [type(b) for b in app.query_one(Conversation).blocks]


async def test_steps_forward_back_first_last(demo_log: LoadedLog) -> None:
    app = ReplayApp(demo_log, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query(Composer)  # read-only: nothing to type into
        assert app.step == 1 and UserBlock in kinds(app) and ToolBlock not in kinds(app)
        bar = str(app.query_one("#replay-bar").render())
        assert f"step 1/{len(app.stops)}" in bar and "user message" in bar
        await pilot.press("n")
        assert app.step == 2 and AssistantBlock in kinds(app)
        await pilot.press("end")
        await pilot.pause(0.2)
        shown = len(app.query_one(Conversation).blocks)
        assert app.shown == len(app.events) and DiffBlock in kinds(app)
        summary = [b for b in app.query_one(Conversation).blocks if isinstance(b, AssistantBlock)][-1]
        assert "summary" in summary.classes
        assert app.query_one(Conversation).following
        await pilot.press("p")
        assert app.step == len(app.stops) - 1 and len(app.query_one(Conversation).blocks) <= shown
        await pilot.press("left", "left")
        assert app.step == len(app.stops) - 3
        await pilot.press("home")
        assert app.step == 1 and len(app.query_one(Conversation).blocks) == 2  # the session notice and the task
        await pilot.press("p")  # nothing before the first step
        assert app.step == 1
        await pilot.press("q")
    assert app.return_value == 0


def test_stop_points_end_at_the_last_event(demo_log: LoadedLog) -> None:
    stops = stop_points(demo_log.events)
    assert stops[-1] == len(demo_log.events) and stops == sorted(set(stops))
    assert stop_points([]) == [0]


def test_empty_log_is_a_clear_error(capsys: Any) -> None:
    assert run_replay(LoadedLog(path=Path("x.jsonl"), header={"pith_log": 1})) == 2
    assert "no events to replay" in capsys.readouterr().err


def test_snapshot_replay_middle_step(snap_compare: Any) -> None:
    from tests.frontends.tui.test_tui_snapshots import demo_events

    async def run_before(pilot: Any) -> None:
        await pilot.press("end", "p", "p")
        await pilot.pause(0.3)

    fixed = LoadedLog(path=Path("fixed.jsonl"), header={"pith_log": 1, "model": "scripted"}, events=demo_events())
    assert snap_compare(ReplayApp(fixed, frozen=True), terminal_size=(80, 24), run_before=run_before)


async def test_long_log_jumps_render_only_the_recent_blocks() -> None:
    golden = Path(__file__).parents[2] / "golden" / "long_session.jsonl"
    app = ReplayApp(read_log(golden), frozen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")  # the side panel has the focus; its own Home/End must not win
        conversation = app.query_one(Conversation)
        assert app.step == len(app.stops) and conversation.hidden > 100 and len(conversation.blocks) < 80
        assert "earlier items hidden" in str(conversation.hidden_line.render())
        assert app.query_one("#plan").render()  # the panels still saw every event
        await pilot.press("p")
        assert app.step == len(app.stops) - 1 and conversation.blocks
        await pilot.press("home")
        assert app.step == 1 and conversation.hidden == 0
