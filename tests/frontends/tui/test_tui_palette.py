"""Ctrl+P: pith's commands are in the palette, and its Quit completes the session log."""
from __future__ import annotations

import json
from pathlib import Path

from textual.command import CommandPalette

from agent.frontends.tui.app import PithApp
from tests.conftest import make_repo
from tests.frontends.tui.test_tui import make_launch, turn, wait_until


async def test_palette_lists_pith_commands_and_quit_finishes_the_log(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    sessions = tmp_path / "s"
    app = PithApp(make_launch(repo, sessions, [turn("hi")], plan=False), frozen=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"/compact", "/undo", "/diff", "/model", "/sessions", "/help", "Jump to latest", "Quit"} <= set(titles)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"quit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not app.is_running)
    log = next(sessions.glob("*.jsonl")).read_text().splitlines()
    assert json.loads(log[-1])["type"] == "session_finished"


async def test_palette_model_command_is_typed_into_the_composer(tmp_path: Path) -> None:
    from agent.frontends.tui.widgets.composer import Composer

    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    app = PithApp(make_launch(repo, None, [turn("hi")], plan=False), frozen=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        model = next(c for c in app.get_system_commands(app.screen) if c.title == "/model")
        model.callback()
        await pilot.pause()
        assert app.query_one(Composer).text == "/model "
