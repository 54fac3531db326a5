"""Sessions typed in the TUI: listed with their task; resumed with their cost, budget and Up-arrow history."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.launch import Launch
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.panels import StatusBar
from agent.log.catalog import list_sessions
from tests.conftest import make_repo
from tests.frontends.tui.test_tui import turn, wait_until


class PricedModel(ScriptedModel):
    """A scripted model whose replies report a cost, like a priced provider."""

    async def complete(self, *args: Any, **kwargs: Any) -> Any:
        reply = await super().complete(*args, **kwargs)
        reply.cost = 0.00715
        return reply


def priced_launch(repo: Path, session_dir: Path, turns: list[dict[str, Any]]) -> Launch:
    """A Launch whose sessions use the priced scripted model."""
    def factory(_: Settings) -> ScriptedModel:
        model = PricedModel([dict(t) for t in turns])
        model.name = "scripted"
        return model

    return Launch(settings=Settings(model="scripted", approve="auto", interactive=True, plan=False), root=repo,
                  session_dir=session_dir, model_factory=factory)


async def test_typed_task_listed_and_resume_restores_cost_budget_history(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    sessions = tmp_path / "s"
    app = PithApp(priced_launch(repo, sessions, [turn("one"), turn("two")]), frozen=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        for text in ("explain the repo", "and the tests"):
            await pilot.press(*text, "enter")
            await wait_until(pilot, lambda: app.turn_done.is_set() and not app.busy)
        assert app.query_one(StatusBar).cost == 0.0143
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
    row = list_sessions(sessions)[0]
    assert row.task == "explain the repo" and row.cost is not None and abs(row.cost - 0.0143) < 1e-9

    again = PithApp(priced_launch(repo, sessions, [turn("three")]), resume=row.path, frozen=True)
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: again.session is not None)
        await pilot.pause(0.1)
        status = again.query_one(StatusBar)
        assert status.priced and status.cost is not None and abs(status.cost - 0.0143) < 1e-9
        assert status.budget and status.budget > 1000
        assert "$0.0143" in str(status.render()) and f"/{status.budget // 1000}" in str(status.render())
        await pilot.press("up")
        assert again.query_one(Composer).text == "and the tests"
        await pilot.press("up")
        assert again.query_one(Composer).text == "explain the repo"


async def test_status_bar_cost_unknown_stays_unknown() -> None:
    from agent.core.events import AssistantMessage
    from tests.frontends.tui.test_tui_view import idle_app

    app = idle_app()
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.query_one(StatusBar)
        assert "$" not in str(status.render()) and "cost" not in str(status.render())  # nothing before a reply
        app.on_session_event(AssistantMessage(step=1, content="hi", cost=0.5))
        await pilot.pause()
        assert "$0.5000" in str(status.render())
        app.on_session_event(AssistantMessage(step=2, content="hi", cost=None))
        await pilot.pause()
        assert "cost ?" in str(status.render()) and "$" not in str(status.render())
        app.on_session_event(AssistantMessage(step=3, content="hi", cost=0.5))
        await pilot.pause()
        assert "cost ?" in str(status.render()) and "$" not in str(status.render())  # unknown once, unknown for good
