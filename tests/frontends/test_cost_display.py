"""The TUI status bar shows the provider's cache reads and writes next to the context meter (32K by default)."""
from __future__ import annotations

from pathlib import Path

from agent.core.events import AssistantMessage
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.widgets.panels import StatusBar


async def test_status_bar_shows_cache_reads_writes_and_the_32k_budget() -> None:
    from agent.settings.config import Settings
    from agent.frontends.tui.launch import Launch

    app = PithApp(Launch(settings=Settings(model="anthropic/claude-sonnet-4-5"), root=Path("/repo")),
                  autostart=False, frozen=True)
    async with app.run_test(size=(140, 30)) as pilot:
        bar = app.query_one(StatusBar)
        for step in (1, 2):
            app.on_session_event(AssistantMessage(step=step, content="", context_tokens=8000, cost=0.01,
                                                  model="anthropic/claude-sonnet-4-5", cache_read_tokens=6000,
                                                  cache_write_tokens=1500))
        await pilot.pause()
        text = str(bar.render())
        assert "cache 12k read 3k written" in text.replace("12.0k", "12k").replace("3.0k", "3k"), text



def test_the_meter_budget_is_32k_for_a_200k_model() -> None:
    from agent.settings.config import Settings
    from agent.frontends.tui.view import planned_budget

    assert planned_budget("anthropic/claude-sonnet-4-5", Settings()) == 32000
    assert planned_budget("anthropic/claude-sonnet-4-5", Settings(context_budget="full")) > 180000
