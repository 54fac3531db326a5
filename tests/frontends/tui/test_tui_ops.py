"""Front ends act through ops and draw events: slash commands submit ops; their answers are events fed in."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from agent.settings.config import Settings
from agent.core.events import DiffShown, ModelSwitched, Outcome, ToolCallFinished, ToolCallStarted
from agent.core.ops import Op, ShowDiff, SwitchModel
from agent.frontends.render import TextRenderer
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.launch import Launch
from agent.frontends.tui.view import planned_budget
from agent.frontends.tui.widgets.blocks import AssistantBlock, DiffBlock
from agent.frontends.tui.widgets.panels import StatusBar
from agent.core.state import SessionState
from tests.frontends.tui.test_tui import blocks, notices, wait_until

SIZE = (100, 30)
DIFF = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"


class OpRecorder:
    """Where a session would be: it records the ops the front end submits and offers the read-only state."""

    def __init__(self, model: str) -> None:
        self.ops: list[Op] = []
        self.state = SessionState(model=model)

    def submit(self, op: Op) -> None:
        """Record the op; the test answers it with events."""
        self.ops.append(op)


def app_with_recorder(model: str = "scripted") -> tuple[PithApp, OpRecorder]:
    """An app whose 'session' only records ops (no model, no loop, no log)."""
    app = PithApp(Launch(settings=Settings(model=model), root=Path("/repo")), autostart=False, frozen=True)
    recorder = OpRecorder(model)
    app.session = recorder  # type: ignore[assignment]
    return app, recorder


async def type_command(pilot: Any, text: str) -> None:
    """Type a slash command into the composer and send it."""
    await pilot.press(*text, "enter")
    await pilot.pause()


async def test_diff_submits_show_diff_and_draws_the_answer() -> None:
    app, recorder = app_with_recorder()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "/diff")
        await wait_until(pilot, lambda: recorder.ops == [ShowDiff()])
        assert not blocks(app, DiffBlock)  # nothing is drawn before the session answers
        app.on_session_event(DiffShown(text=DIFF))
        await pilot.pause()
        [block] = blocks(app, DiffBlock)
        assert block.path == "session diff (/diff)" and block.diff == DIFF


async def test_model_submits_switch_model_and_follows_model_switched() -> None:
    app, recorder = app_with_recorder()
    async with app.run_test(size=SIZE) as pilot:
        assert app.view is not None
        app.view.attach(Settings(model="scripted", context_budget="full"), "scripted", resumed=False)
        await type_command(pilot, "/model")
        await wait_until(pilot, lambda: "model: scripted · /model NAME to switch" in notices(app))
        await type_command(pilot, "/model openai/gpt-4o")
        await wait_until(pilot, lambda: recorder.ops == [SwitchModel(model="openai/gpt-4o")])
        bar = app.query_one(StatusBar)
        assert bar.model != "openai/gpt-4o"  # the switch is the session's to make
        app.on_session_event(ModelSwitched(model="openai/gpt-4o"))
        await pilot.pause()
        assert bar.model == "openai/gpt-4o" and "model switched to openai/gpt-4o" in notices(app)
        assert bar.budget == planned_budget("openai/gpt-4o", Settings(context_budget="full")) > 100000


async def test_the_outcome_not_the_tool_name_shows_a_finish_summary() -> None:
    app, _ = app_with_recorder()
    async with app.run_test(size=SIZE) as pilot:
        for call_id, name, outcome in (("c1", "finish", Outcome.NONE), ("c2", "wrap_up", Outcome.FINISHED)):
            app.on_session_event(ToolCallStarted(call_id=call_id, name=name, arguments={"summary": f"done {call_id}"}))
            app.on_session_event(ToolCallFinished(call_id=call_id, name=name, text="ok", outcome=outcome))
        await pilot.pause()
        assert [b.text for b in blocks(app, AssistantBlock)] == ["done c2"]


def test_text_output_hides_only_a_finished_result() -> None:
    out = io.StringIO()
    renderer = TextRenderer(out, stream=False)
    renderer.handle(ToolCallFinished(call_id="a", name="wrap_up", text="finished", outcome=Outcome.FINISHED))
    renderer.handle(ToolCallFinished(call_id="b", name="finish", text="not finished: say what is left"))
    assert "finished\n" not in out.getvalue() and "not finished: say what is left" in out.getvalue()


def test_the_next_session_keeps_the_switched_model() -> None:
    launch = Launch(settings=Settings(model="scripted", api_base="http://127.0.0.1:9/v1"), root=Path("/repo"))
    built = Settings(model="openai/gpt-4o", api_base=None, context_budget=9000)
    launch.offered["openai/gpt-4o"] = built  # what Launch.factory built for the session's switch
    launch.model_switched("openai/gpt-4o")
    assert launch.settings is built and not launch.offered
    launch.model_switched("anthropic/claude-sonnet-4-5")  # built by the core's factory (a resumed session)
    assert launch.settings.model == "anthropic/claude-sonnet-4-5" and launch.settings.context_budget == 9000


async def test_rewind_submits_list_checkpoints_and_picks_from_the_answer() -> None:
    from agent.core.events import CheckpointRow, CheckpointsListed
    from agent.core.ops import ListCheckpoints, Rewind
    from agent.frontends.tui.screens.rewind import RewindScreen

    app, recorder = app_with_recorder()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "/rewind")
        await wait_until(pilot, lambda: recorder.ops == [ListCheckpoints()])
        assert not isinstance(app.screen, RewindScreen)  # the list is the session's answer
        app.on_session_event(CheckpointsListed(rows=[]))
        await pilot.pause()
        assert "this session has no checkpoints" in notices(app) and not isinstance(app.screen, RewindScreen)
        rows = [CheckpointRow(sha="b" * 40, label="turn 2", when=0.0, files=["notes.txt"]),
                CheckpointRow(sha="a" * 40, label="turn 1", when=0.0, files=["shop/cart.py"])]
        app.on_session_event(CheckpointsListed(rows=rows))
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen))
        await pilot.pause()
        assert "notes.txt" in str(app.screen.query_one("#rewind-list").get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_until(pilot, lambda: recorder.ops[-1] == Rewind("b" * 40))
        assert "rewinding to checkpoint bbbbbbbb" in notices(app)


async def test_commit_submits_draft_commit_then_commit_with_the_edited_message() -> None:
    from agent.core.events import CommitDrafted, CommitMade
    from agent.core.ops import Commit, DraftCommit
    from agent.frontends.tui.screens.commit import CommitScreen

    app, recorder = app_with_recorder()
    async with app.run_test(size=SIZE) as pilot:
        await type_command(pilot, "/commit")
        await wait_until(pilot, lambda: recorder.ops == [DraftCommit()])
        app.on_session_event(CommitDrafted(message="", files=[]))
        await pilot.pause()
        assert "nothing to commit" in notices(app) and not isinstance(app.screen, CommitScreen)
        app.on_session_event(CommitDrafted(message="Fix the cart\n\nFiles:\n- shop/cart.py\n", files=["shop/cart.py"]))
        await wait_until(pilot, lambda: isinstance(app.screen, CommitScreen))
        await pilot.pause()
        editor = app.screen.query_one("#commit-message")
        assert editor.text.startswith("Fix the cart")
        editor.load_text("Note the cart\n\nA comment.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: recorder.ops[-1] == Commit("Note the cart\n\nA comment."))
        app.on_session_event(CommitMade(sha="c" * 40, message="Note the cart", text="committed cccccccc: Note the cart"))
        app.on_session_event(CommitMade(sha="", message="x", text="commit: not made: nothing staged"))
        await pilot.pause()
        assert "committed cccccccc: Note the cart" in notices(app) and "commit: not made: nothing staged" in notices(app)


async def test_commit_and_rewind_wait_for_the_running_turn() -> None:
    app, recorder = app_with_recorder()
    async with app.run_test(size=SIZE) as pilot:
        app.busy = True
        await type_command(pilot, "/commit")
        await type_command(pilot, "/rewind")
        await wait_until(pilot, lambda: "before /rewind" in notices(app))
        assert recorder.ops == [] and "before /commit" in notices(app)
