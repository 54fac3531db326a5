"""The conversation view: follow-to-bottom, the 'jump to latest' hint, focus and typing, queued messages."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.core.events import AssistantMessage, SessionStarted, ToolCallFinished, ToolCallStarted, TurnEnded, UserMessage
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.widgets.blocks import AssistantBlock, ToolBlock
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.conversation import Conversation
from agent.frontends.tui.widgets.hints import JumpHint, QueuedBar
from tests.conftest import make_repo
from tests.frontends.tui.test_tui import blocks, call, make_launch, turn, wait_until

SMALL = (80, 24)
BIG_FILE = "".join(f"line_{i} = {i}\n" for i in range(179))
SUMMARY = "Wrote big.py with 179 lines; the check passed."


def visible(app: PithApp, widget: Any) -> bool:
    """True when some of `widget` is inside the conversation's visible area."""
    conversation = app.query_one(Conversation)
    return widget.region.height > 0 and bool(widget.region.intersection(conversation.content_region))


def idle_app(size_events: list[Any] | None = None) -> PithApp:
    """An app with no session, for feeding events by hand."""
    from agent.settings.config import Settings
    from agent.frontends.tui.launch import Launch

    return PithApp(Launch(settings=Settings(model="scripted"), root=Path("/repo")), autostart=False, frozen=True)


def chatter(n: int) -> list[Any]:
    """n short exchanges: enough to fill a small screen many times."""
    out: list[Any] = [SessionStarted(session_id="s", model="scripted", root="/repo")]
    for i in range(n):
        out += [UserMessage(text=f"question {i}"), AssistantMessage(step=i, content=f"answer {i}\n\nmore {i}")]
    return out


async def test_final_reply_visible_after_long_diff_at_80x24(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    script = [turn("Writing the file.", call("write_file", path="big.py", content=BIG_FILE)),
              turn("", call("run", command="echo ok")),
              turn("", call("finish", summary=SUMMARY))]
    app = PithApp(make_launch(repo, None, script, plan=False), task="write big.py", frozen=True)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.turn_done.is_set() and app.session is not None and not app.busy)
        await pilot.pause(0.3)
        final = [b for b in blocks(app, AssistantBlock) if b.text == SUMMARY]
        assert final and visible(app, final[-1])
        assert app.query_one(Conversation).following and not app.query_one(JumpHint).display


async def test_scrolling_up_stops_following_and_end_jumps_back() -> None:
    app = idle_app()
    async with app.run_test(size=SMALL) as pilot:
        for event in chatter(20):
            app.on_session_event(event)
        await pilot.pause(0.3)
        conversation = app.query_one(Conversation)
        assert conversation.following
        await pilot.press("pageup")
        await pilot.pause(0.1)
        assert not conversation.following and app.query_one(JumpHint).display
        app.on_session_event(AssistantMessage(step=99, content="newest reply"))
        await pilot.pause(0.2)
        newest = blocks(app, AssistantBlock)[-1]
        assert not visible(app, newest)  # the user's reading position is kept
        await pilot.press("end")
        await pilot.pause(0.2)
        assert visible(app, newest) and conversation.following and not app.query_one(JumpHint).display
        app.on_session_event(AssistantMessage(step=100, content="after the jump"))
        await pilot.pause(0.2)
        assert visible(app, blocks(app, AssistantBlock)[-1])


async def test_end_moves_the_cursor_when_the_composer_has_text() -> None:
    app = idle_app()
    async with app.run_test(size=SMALL) as pilot:
        for event in chatter(20):
            app.on_session_event(event)
        await pilot.pause(0.2)
        await pilot.press("pageup", *"abc", "home", "end")
        composer = app.query_one(Composer)
        assert composer.cursor_location == (0, 3)
        assert not app.query_one(Conversation).following
        await pilot.press("ctrl+l")
        await pilot.pause(0.1)
        assert app.query_one(Conversation).following


async def test_typing_on_a_tool_block_lands_in_the_composer_and_escape_returns() -> None:
    app = idle_app()
    async with app.run_test(size=SMALL) as pilot:
        for event in [SessionStarted(session_id="s", model="scripted", root="/repo"),
                      ToolCallStarted(call_id="c1", name="grep", arguments={}, label="grep foo"),
                      ToolCallFinished(call_id="c1", name="grep", text="a.py:1: foo")]:
            app.on_session_event(event)
        await pilot.pause(0.1)
        composer = app.query_one(Composer)
        await pilot.press("shift+tab")
        assert app.focused is not composer and app.focused is not None
        await pilot.press(*"hi there")
        assert composer.text == "hi there" and app.focused is composer
        await pilot.press("shift+tab")
        assert app.focused is not composer
        await pilot.press("escape")
        assert app.focused is composer
        await pilot.press("shift+tab", "enter")  # Enter on a tool block still expands it
        assert not blocks(app, ToolBlock)[0].collapsed


async def test_messages_typed_during_a_turn_are_queued_then_sent(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    script = [turn("", call("run", command="sleep 4")), turn("first done"), turn("second done")]
    app = PithApp(make_launch(repo, None, script, plan=False), task="first", frozen=True)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.busy)
        await pilot.press(*"second", "enter", *"third", "enter")
        bar = app.query_one(QueuedBar)
        assert bar.items == ["second", "third"] and bar.display
        assert "queued: second" in str(bar.render())
        await wait_until(pilot, lambda: "second done" in [b.text for b in blocks(app, AssistantBlock)])
        users = [m["content"] for m in app.session.history if m["role"] == "user"]
        assert users == ["first", "second\n\nthird"]
        assert not bar.display


async def test_queued_message_returns_to_the_composer_after_an_interrupt(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    app = PithApp(make_launch(repo, None, [turn("", call("run", command="sleep 30"))], plan=False),
                  task="wait", frozen=True)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: app.busy and any(t.status == "running" for t in blocks(app, ToolBlock)))
        await pilot.press(*"then this", "enter")
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: app.turn_done.is_set() and not app.busy)
        await pilot.pause(0.1)
        assert app.query_one(Composer).text == "then this"
        assert not app.query_one(QueuedBar).items
        assert [m["content"] for m in app.session.history if m["role"] == "user"] == ["wait"]


async def test_turn_ended_event_alone_sends_the_queue() -> None:
    app = idle_app()
    async with app.run_test(size=SMALL) as pilot:
        sent: list[str] = []
        app.send = sent.append  # type: ignore[method-assign]
        app.query_one(QueuedBar).push("later")
        app.on_session_event(TurnEnded(status="answered"))
        await pilot.pause(0.1)
        assert sent == ["later"]


async def test_running_command_shows_live_tail_and_a_ticking_timer() -> None:
    from agent.settings.config import Settings
    from agent.core.events import CommandOutput
    from agent.frontends.tui.launch import Launch

    app = PithApp(Launch(settings=Settings(model="scripted"), root=Path("/repo")), autostart=False, frozen=False)
    async with app.run_test(size=SMALL) as pilot:
        app.on_session_event(ToolCallStarted(call_id="r1", name="run", arguments={}, label="run pytest -q"))
        for i in range(30):
            app.on_session_event(CommandOutput(call_id="r1", text=f"test line {i}\n"))
        app.on_session_event(CommandOutput(call_id="r1", text="progress 10%\rprogress 90%"))
        assert blocks(app, ToolBlock)[0].live_dirty  # drawn in batches by the 50 ms flush, not once per event
        await pilot.pause(1.6)
        block = blocks(app, ToolBlock)[0]
        live = str(block.live.render())
        assert block.live.display and live.splitlines()[-1] == "progress 90%"
        assert len(live.splitlines()) == 8 and "test line 29" in live and "test line 22" not in live  # 24 rows / 3
        assert visible(app, block.live)
        assert "run pytest -q · 1s" in str(block.title)
        app.on_session_event(ToolCallFinished(call_id="r1", name="run", text="exit code 0\n30 passed", duration=1.4))
        app.on_session_event(CommandOutput(call_id="r1", text="late output\n"))  # after the result: ignored
        await pilot.pause(0.1)
        assert not block.live.display and block.title == "✓ run pytest -q · 1.4s"
        assert str(block.output.render()) == "exit code 0\n30 passed"


async def test_plan_panel_says_the_run_finished_even_with_a_step_left_open() -> None:
    from agent.core.events import PlanUpdated
    from agent.frontends.tui.widgets.panels import SidePanel

    app = idle_app()
    async with app.run_test(size=(120, 30)) as pilot:
        app.on_session_event(PlanUpdated(steps=[{"step": "fix", "status": "done"},
                                                {"step": "run tests", "status": "in_progress"}]))
        app.on_session_event(TurnEnded(status="finished"))
        await pilot.pause()
        side = app.query_one(SidePanel)
        assert side.outcome.display
        assert str(side.outcome.render()) == "■ run finished (step 2 left open by the model)"
        app.on_session_event(UserMessage(text="next"))
        assert not side.outcome.display


async def test_compact_shows_one_notice(tmp_path: Path) -> None:
    from agent.core.events import ContextCompacted, Notice
    from agent.frontends.tui.widgets.blocks import NoticeBlock

    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    app = PithApp(make_launch(repo, None, [turn("hi")], plan=False), frozen=True)
    async with app.run_test(size=SMALL) as pilot:
        # The session's greeting is a notice too: count from after it, or it lands among the /compact ones.
        await wait_until(pilot, lambda: app.session is not None and any(
            "new session" in str(b.render()) for b in blocks(app, NoticeBlock)))
        before = len(blocks(app, NoticeBlock))
        await pilot.press(*"/compact", "enter")
        await wait_until(pilot, lambda: len(blocks(app, NoticeBlock)) > before)
        await pilot.pause(0.2)
        added = [str(b.render()) for b in blocks(app, NoticeBlock)[before:]]
        assert len(added) == 1 and "nothing old enough to compact" in added[0]
        before = len(blocks(app, NoticeBlock))
        app.on_session_event(ContextCompacted(summary="s", upto_index=4, tokens_before=9000, tokens_after=2000,
                                              dropped=4))
        app.on_session_event(Notice(text="compacted 4 older messages into a summary (9000 -> 2000 tokens)"))
        failed = "compaction failed (boom); evicted old tool outputs instead (9000 -> 8000 tokens)"
        app.on_session_event(Notice(text=failed, level="warning"))
        app.on_session_event(Notice(text=failed))
        await pilot.pause()
        added = [str(b.render()) for b in blocks(app, NoticeBlock)[before:]]
        assert len(added) == 2 and added[0].startswith("⇊ compacted 4 messages") and added[1] == failed


async def test_live_output_of_a_real_command_in_a_session(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    command = "for i in 1 2 3; do echo step$i; sleep 0.4; done; sleep 1"
    app = PithApp(make_launch(repo, None, [turn("", call("run", command=command)), turn("done")], plan=False),
                  task="count", frozen=True)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: any("step3" in str(b.live.render()) for b in blocks(app, ToolBlock)))
        block = blocks(app, ToolBlock)[0]
        assert block.status == "running" and block.live.display
        assert str(block.live.render()).splitlines() == ["step1", "step2", "step3"]
        await wait_until(pilot, lambda: app.turn_done.is_set() and not app.busy)
        assert not block.live.display and "step3" in str(block.output.render())


def test_snapshot_live_output_queue_and_jump_hint(snap_compare: Any) -> None:
    from agent.core.events import CommandOutput

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        for event in chatter(6) + [ToolCallStarted(call_id="r1", name="run", arguments={}, label="run pytest -q")]:
            app.on_session_event(event)
        for i in range(25):
            app.on_session_event(CommandOutput(call_id="r1", text=f"tests/test_{i:02d}.py ....  [{4 * i}%]\n"))
        app.query_one(QueuedBar).push("also update the changelog")  # what send() does while a turn runs
        app.view.status.set(state="running · step 7")
        await pilot.pause(0.3)
        app.query_one(Conversation).scroll_relative(y=-2, animate=False)  # the user scrolls up a little
        await pilot.pause(0.3)

    assert snap_compare(idle_app(), terminal_size=SMALL, run_before=run_before)
