"""Front ends fold with the core's reducer: the figures the TUI, the replay UI and exports show equal the fold's and
the log's own result (SessionFinished), for every golden log."""
from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.events import SessionFinished
from agent.core.state import SessionState
from agent.frontends.export.transcript import build_transcript
from agent.frontends.tui.replay import ReplayApp
from agent.frontends.tui.view import EventView
from agent.frontends.tui.widgets.panels import StatusBar
from agent.log.writer import LoadedLog, read_log
from tests.frontends.tui.test_tui_view import idle_app

GOLDEN = sorted((Path(__file__).parents[1] / "golden").glob("*.jsonl"))
SIZE = (100, 30)


def final_of(loaded: LoadedLog) -> SessionFinished:
    """The log's recorded result."""
    finals = [e for e in loaded.events if isinstance(e, SessionFinished)]
    assert finals, "a golden log ends with its result"
    return finals[-1]


def assert_figures(view: EventView, status: StatusBar, loaded: LoadedLog) -> None:
    """The view's state is the core's fold of the log; the status bar shows it; both agree with the log's result."""
    final, folded = final_of(loaded), SessionState().fold(loaded.events)
    state = view.state
    assert state.totals == folded.totals and state.history == folded.history and state.model == folded.model
    assert (state.summary, state.verified, state.last_status) == (folded.summary, folded.verified, folded.last_status)
    assert state.totals.steps == final.steps and state.totals.files == final.files_changed
    assert (state.totals.input_tokens, state.totals.output_tokens) == (final.input_tokens, final.output_tokens)
    assert state.verified == final.verified and state.summary == final.summary
    assert state.context.compactions == final.compactions == status.compactions
    assert status.priced and status.cost == state.totals.cost
    assert status.cost == final.cost or (final.cost is not None and abs(status.cost - final.cost) < 1e-9)
    assert status.cache_read == state.totals.cache_read_tokens and status.cache_write == state.totals.cache_write_tokens
    assert status.model == state.model and status.evictions == state.context.evictions


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
async def test_tui_view_shows_the_fold_of_a_golden_log(path: Path) -> None:
    loaded = read_log(path)
    app = idle_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.view is not None
        for event in loaded.events:
            app.on_session_event(event)
        await pilot.pause()
        assert_figures(app.view, app.query_one(StatusBar), loaded)
        assert app.query_one(StatusBar).state == "session ended"


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
async def test_replay_tui_folds_the_whole_log_even_when_jumping(path: Path) -> None:
    loaded = read_log(path)
    app = ReplayApp(loaded, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        app.action_last()  # a long jump: most events are folded without being drawn
        await pilot.pause()
        assert app.view is not None
        assert_figures(app.view, app.query_one(StatusBar), loaded)
        app.action_first()  # back to the start: a fresh fold
        assert app.view.state.totals.steps == SessionState().fold(app.events[:app.shown]).totals.steps
        app.action_last()
        assert_figures(app.view, app.query_one(StatusBar), loaded)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_export_totals_are_the_fold_and_the_logged_result(path: Path) -> None:
    loaded = read_log(path)
    final, totals = final_of(loaded), SessionState().fold(loaded.events).totals
    result = dict(build_transcript(loaded).result)
    assert result["steps"] == str(final.steps) == str(totals.steps)
    assert result["tokens"] == f"in {final.input_tokens} (cached {final.cache_read_tokens or final.cached_tokens}) " \
                               f"out {final.output_tokens}"
    assert result["cost"] == ("unknown" if final.cost is None else f"${final.cost:.4f}")
    assert result["files changed"] == (", ".join(final.files_changed) or "none")
    assert result["verified"] == ("yes" if final.verified else "no") and result["status"].startswith(final.status)
