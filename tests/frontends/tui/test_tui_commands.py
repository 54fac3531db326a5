"""Slash commands and resuming in the TUI: /undo /diff /compact /model /clear /sessions /help, --continue."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.core.events import ContextCompacted
from agent.core.ops import Compact
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.widgets.blocks import AssistantBlock, DiffBlock, UserBlock
from agent.frontends.tui.widgets.panels import SidePanel, StatusBar
from agent.demo import TASK
from tests.frontends.tui.test_tui import DEMO_SCRIPT, SIZE, blocks, make_launch, notices, run_demo_turn, turn, wait_until



async def test_undo_and_diff_commands(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir), task=TASK, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        await pilot.press(*"/diff", "enter")
        await wait_until(pilot, lambda: len(blocks(app, DiffBlock)) == 2)
        assert "(100 - percent)" in blocks(app, DiffBlock)[-1].diff
        await pilot.press(*"/undo", "enter")
        await wait_until(pilot, lambda: "subtotal - percent" in (demo_repo / "shop" / "cart.py").read_text())
        await wait_until(pilot, lambda: "restor" in notices(app).lower() or "undo" in notices(app).lower())


async def test_compact_command_and_compaction_view(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        ops: list[Any] = []
        real = app.session.submit
        app.session.submit = lambda op: (ops.append(op), real(op))  # type: ignore[method-assign]
        await pilot.press(*"/compact keep the tests", "enter")
        await wait_until(pilot, lambda: bool(ops))
        assert ops[0] == Compact(focus="keep the tests")
        app.on_session_event(ContextCompacted(summary="Task: fix total. Files: cart.py", upto_index=4,
                                              tokens_before=9000, tokens_after=2000, dropped=6))
        await pilot.pause()
        side = app.query_one(SidePanel)
        assert "6 messages dropped" in str(side.compaction.render()) and "fix total" in str(side.compaction.render())
        assert app.query_one(StatusBar).compactions == 1
        assert "compacted 6 messages" in notices(app)


async def test_compact_with_nothing_to_compact_returns_the_status_to_idle(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await pilot.press(*"/compact", "enter")
        await wait_until(pilot, lambda: "nothing old enough" in notices(app))
        assert app.query_one(StatusBar).state == "idle"


async def test_model_command_bad_name_keeps_model(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        before = app.session.model
        await pilot.press(*"/model scripted:/nonexistent/script.jsonl", "enter")
        await wait_until(pilot, lambda: "cannot use" in notices(app))
        assert app.session.model is before
        await pilot.press(*f"/model scripted:{DEMO_SCRIPT}", "enter")
        await wait_until(pilot, lambda: app.session.model is not before)
        assert app.session.model.name.endswith("demo_script.jsonl")


async def test_clear_starts_new_session_and_help(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir, [turn("hello there")]), task="hi", frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        first = app.session.id
        await pilot.press(*"/clear", "enter")
        await wait_until(pilot, lambda: app.session is not None and app.session.id != first)
        assert not blocks(app, UserBlock)
        await pilot.press(*"/help", "enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
    assert len(list(session_dir.glob("*.jsonl"))) == 2


async def test_help_fits_an_80_column_terminal(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None), frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.pause()
        assert app.screen.query_one("#help-box").region.right <= 80


async def test_resume_draws_past_and_continues(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir, [turn("first answer"), turn("second answer")]), task="hi",
                  frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        await pilot.press("ctrl+q")
    launch = make_launch(demo_repo, session_dir, [turn("after resume")])
    path = launch.latest()
    assert path is not None
    app2 = PithApp(launch, resume=path, frozen=True)
    async with app2.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app2.session is not None)
        assert "first answer" in [b.text for b in blocks(app2, AssistantBlock)]
        await wait_until(pilot, lambda: "resumed session" in notices(app2))
        await pilot.press(*"more", "enter")
        await wait_until(pilot, lambda: "after resume" in [b.text for b in blocks(app2, AssistantBlock)])


async def test_sessions_command_resumes_a_session(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir, [turn("old answer")]), task="old question", frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        await pilot.press(*"/clear", "enter")
        await wait_until(pilot, lambda: app.session is not None and not blocks(app, UserBlock))
        await pilot.press(*"/sessions", "enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SessionsScreen")
        assert "old question" in app.screen.rows[0].task
        await pilot.press("enter")
        await wait_until(pilot, lambda: "old answer" in [b.text for b in blocks(app, AssistantBlock)])
        await wait_until(pilot, lambda: "resumed session" in notices(app))


async def test_model_command_checks_the_key_first_and_updates_the_budget(demo_repo: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    app = PithApp(make_launch(demo_repo, None), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        before = app.session.model
        await pilot.press(*"/model anthropic/claude-sonnet-4-5", "enter")
        await wait_until(pilot, lambda: "cannot use" in notices(app))
        assert "no API key for anthropic/claude-sonnet-4-5" in notices(app)
        assert app.session.model is before and app.launch.settings.model != "anthropic/claude-sonnet-4-5"
        await pilot.press(*f"/model scripted:{DEMO_SCRIPT}", "enter")
        await wait_until(pilot, lambda: app.session.model is not before)
        assert app.session.context.model_name == app.session.model.name  # the budget follows the new model
        assert app.query_one(StatusBar).budget == app.session.context.budget
