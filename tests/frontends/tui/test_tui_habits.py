"""The TUI's habits through Pilot: completion menus, saved history + Ctrl+R, !command, bell, /commit, /rewind,
custom commands."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from agent.core.events import ApprovalRequested, TurnEnded
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.screens.commit import CommitScreen
from agent.frontends.tui.screens.history_search import HistorySearchScreen
from agent.frontends.tui.screens.rewind import RewindScreen
from agent.frontends.tui.widgets.blocks import ToolBlock, UserBlock
from agent.frontends.tui.widgets.completion import CompletionMenu
from agent.frontends.tui.widgets.composer import Composer
from tests.conftest import git
from tests.frontends.tui.test_tui import SIZE, blocks, make_launch, notices, turn, wait_until


def write(path: str, content: str, n: int) -> dict[str, Any]:
    """A scripted turn that writes one file."""
    return {"role": "assistant", "content": "", "tool_calls": [{"id": f"w{n}", "type": "function", "function": {
        "name": "write_file", "arguments": json.dumps({"path": path, "content": content})}}]}


def menu_labels(app: PithApp) -> list[str]:
    """What the open completion menu lists."""
    menu = app.query_one(CompletionMenu)
    return [item.label for item in menu.completion.items] if menu.is_open else []  # type: ignore[union-attr]


async def ready(pilot: Any, app: PithApp) -> None:
    """Wait for the session."""
    await wait_until(pilot, lambda: app.session is not None)


def user_text(app: PithApp, request: int = -1) -> str:
    """The last user message the model got in a request."""
    requests = app.session.model.requests  # type: ignore[union-attr]
    return [m["content"] for m in requests[request] if m["role"] == "user"][-1]


async def test_slash_menu_lists_commands_with_help_and_custom_ones(demo_repo: Path, tmp_path: Path) -> None:
    (demo_repo / ".pith" / "commands").mkdir(parents=True)
    (demo_repo / ".pith" / "commands" / "fix-issue.md").write_text(
        "---\ndescription: Fix a numbered issue\n---\nFix issue $ARGUMENTS; run the tests first.\n")
    app = PithApp(make_launch(demo_repo, None, [turn("on it")]), frozen=True)
    app.user_commands_dir = tmp_path / "none"  # type: ignore[attr-defined]
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press("/")
        assert "/commit" in menu_labels(app) and "/fix-issue" in menu_labels(app)
        await pilot.press("c", "o", "m")
        assert menu_labels(app) == ["/compact", "/commit"]
        help_of = {i.label: i.help for i in app.query_one(CompletionMenu).completion.items}  # type: ignore[union-attr]
        assert "older turns" in help_of["/compact"].lower() and help_of["/commit"]
        await pilot.press("down", "tab")
        assert app.query_one(Composer).text == "/commit " and not app.query_one(CompletionMenu).is_open
        app.query_one(Composer).clear()
        await pilot.press(*"/fix", "tab", *"42", "enter")
        await wait_until(pilot, lambda: bool(blocks(app, UserBlock)))
        assert user_text(app) == "Fix issue 42; run the tests first."
        await pilot.press("/", "escape")
        assert not app.query_one(CompletionMenu).is_open


async def test_tab_completes_what_is_typed_even_before_the_menu_caught_up(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, [turn("seen")]), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press("/")
        await wait_until(pilot, lambda: menu_labels(app)[:1] == ["/compact"])
        composer = app.query_one(Composer)
        composer.insert("he")  # its change message is not handled yet: the menu still lists every command
        assert app.completion.on_key("tab")  # type: ignore[union-attr]
        assert composer.text == "/help "


async def test_colon_right_after_a_completed_path_completes_its_symbols(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, [turn("seen")]), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press(*"fix @crt", "tab", *":tot")  # no backspace over the space the path completion added
        await wait_until(pilot, lambda: menu_labels(app)[:1] == ["Cart.total"])
        await pilot.press("tab")
        assert app.query_one(Composer).text == "fix @shop/cart.py:Cart.total "


async def test_at_mention_completes_fuzzily_and_attaches_code(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, [turn("seen")]), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press(*"fix @crt")
        assert menu_labels(app)[0] == "shop/cart.py"
        await pilot.press("tab")
        assert app.query_one(Composer).text == "fix @shop/cart.py "
        await pilot.press("backspace", *":tot")
        await wait_until(pilot, lambda: menu_labels(app)[:1] == ["Cart.total"])
        await pilot.press("tab")
        assert app.query_one(Composer).text == "fix @shop/cart.py:Cart.total "
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.turn_done.is_set() and not app.busy and bool(app.session.model.requests))
        assert str(blocks(app, UserBlock)[0].render()).strip().endswith("fix @shop/cart.py:Cart.total")
        sent = user_text(app, 0)
        assert "--- @shop/cart.py:Cart.total (code) ---" in sent and "def total(self)" in sent
        assert "attached for the model: @shop/cart.py:Cart.total (code)" in notices(app)
        app.completion.completer.sync_limit = 0  # type: ignore[attr-defined]  # as in a huge repository
        await pilot.press(*"and @pricing")
        await wait_until(pilot, lambda: menu_labels(app)[:1] == ["shop/pricing.py"])


async def test_history_saved_per_repo_up_and_ctrl_r(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir, [turn("a"), turn("b")]), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        for text in ("first question about carts", "second about pricing"):
            await pilot.press(*text, "enter")
            await wait_until(pilot, lambda: app.turn_done.is_set() and not app.busy)
    saved = list((session_dir.parent / "history").glob("*.jsonl"))
    assert len(saved) == 1 and not (demo_repo / ".pith").exists()
    again = PithApp(make_launch(demo_repo, session_dir, []), frozen=True)
    async with again.run_test(size=SIZE) as pilot:
        await ready(pilot, again)
        composer = again.query_one(Composer)
        composer.sent.append("/diff")
        await pilot.press("up")
        assert composer.text == "/diff" and not again.query_one(CompletionMenu).is_open
        await pilot.press("up")
        assert composer.text == "second about pricing"
        composer.clear()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(again.screen, HistorySearchScreen))
        await pilot.press(*"carts", "enter")
        await wait_until(pilot, lambda: composer.text == "first question about carts")


async def test_bang_command_runs_without_dialog_and_reaches_the_model(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, [turn("ok")], approve="ask"), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press(*"!echo shell-says-hi", "enter")
        await wait_until(pilot, lambda: not app.shell_running)  # type: ignore[attr-defined]
        block = [b for b in blocks(app, ToolBlock) if b.call_id.startswith("shell-")][0]
        assert "! echo shell-says-hi" in str(block.title) and "shell-says-hi" in str(block.output.render())
        await pilot.press(*"what did it print?", "enter")
        await wait_until(pilot, lambda: bool(app.session.model.requests))
        assert "shell-says-hi" in user_text(app, 0) and user_text(app, 0).startswith("what did it print?")
        app.session.settings.deny = ["run:curl*"]  # type: ignore[union-attr]
        app.session.policy.deny = ["run:curl*"]  # type: ignore[union-attr]
        await pilot.press(*"!curl http://example.com", "enter")
        await wait_until(pilot, lambda: "not run: denied by a deny rule" in notices(app))
        assert not app.shell_running  # type: ignore[attr-defined]


async def test_bell_on_approval_and_long_turn(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, []), frozen=True, autostart=False)
    rings: list[float] = []
    app.bell = lambda: rings.append(time.monotonic())  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        app.on_session_event(TurnEnded(status="answered"))
        assert not rings
        app.turn_t0 = time.monotonic() - 12  # type: ignore[attr-defined]
        app.on_session_event(TurnEnded(status="answered"))
        assert len(rings) == 1
        app.on_session_event(ApprovalRequested(request_id="r", tool="run", kind="command", summary="ls"))
        await pilot.pause(0.1)
        assert len(rings) == 2


async def test_commit_and_rewind_commands(demo_repo: Path) -> None:
    git(demo_repo, "config", "user.name", "Grace Hopper")
    git(demo_repo, "config", "user.email", "grace@example.com")
    original = (demo_repo / "shop" / "cart.py").read_text()
    turns = [write("shop/cart.py", original + "# one\n", 1), turn("one"), write("notes.txt", "n\n", 2), turn("two")]
    app = PithApp(make_launch(demo_repo, None, turns), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        for text in ("first", "second"):
            await pilot.press(*text, "enter")
            await wait_until(pilot, lambda: app.turn_done.is_set() and not app.busy)
        await pilot.press(*"/rewind", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RewindScreen))
        assert "notes.txt" in str(app.screen.query_one("#rewind-list").get_option_at_index(0).prompt)
        await pilot.press("enter")  # the newest: before the notes were written
        await wait_until(pilot, lambda: not (demo_repo / "notes.txt").exists())
        await wait_until(pilot, lambda: "back at checkpoint" in notices(app))
        await pilot.press(*"/commit", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CommitScreen))
        editor = app.screen.query_one("#commit-message")
        assert "shop/cart.py" in editor.text
        editor.load_text("Note the cart\n\nA comment.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "committed" in notices(app))
    assert git(demo_repo, "log", "-1", "--format=%an|%s").strip() == "Grace Hopper|Note the cart"
    assert git(demo_repo, "status", "--porcelain").strip() == ""


def test_snapshot_slash_completion_menu(snap_compare: Any, tmp_path: Path) -> None:
    from tests.frontends.tui.test_tui_snapshots import demo_events, feed, fixed_app

    app = fixed_app(demo_events()[:3])
    app.user_commands_dir = tmp_path / "none"  # type: ignore[attr-defined]

    async def run_before(pilot: Any) -> None:
        await feed(pilot)
        await pilot.press("/", "c")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_bang_command_streams_and_ctrl_c_stops_it(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, []), frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.press(*"!echo first; sleep 0.5; echo started-now; sleep 30", "enter")
        await wait_until(pilot, lambda: any("started-now" in b.live_text for b in blocks(app, ToolBlock)))
        t0 = time.monotonic()
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.shell_running)  # type: ignore[attr-defined]
        assert time.monotonic() - t0 < 5
        block = blocks(app, ToolBlock)[-1]
        assert block.status != "running" and "interrupted" in str(block.output.render())
        assert "started-now" in app.session.shell.pending[0]  # kept for the model
