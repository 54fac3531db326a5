"""The textual UI driven by scripted sessions through Pilot: turns, approvals, interrupt, commands."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.demo import TASK
from agent.core.events import PlanUpdated
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.launch import Launch
from agent.frontends.tui.screens.approval import ApprovalScreen
from agent.frontends.tui.widgets.blocks import AssistantBlock, DiffBlock, NoticeBlock, ToolBlock, UserBlock
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.conversation import Conversation
from agent.frontends.tui.widgets.panels import SidePanel, StatusBar

DEMO_SCRIPT = Path(__file__).resolve().parents[3] / "agent" / "demo" / "demo_script.jsonl"
SIZE = (120, 40)


def call(name: str, **args: Any) -> dict[str, Any]:
    """One OpenAI-format tool call."""
    return {"id": f"call_{name}_{abs(hash(json.dumps(args, sort_keys=True))) % 10**6}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)}}


def turn(content: str = "", *calls: dict[str, Any]) -> dict[str, Any]:
    """One scripted assistant message."""
    return {"role": "assistant", "content": content, "tool_calls": list(calls)} if calls else \
        {"role": "assistant", "content": content}


def make_launch(repo: Path, session_dir: Path | None, turns: list[dict[str, Any]] | None = None,
                approve: str = "auto", plan: bool = True) -> Launch:
    """A Launch whose sessions use a scripted model (the demo script by default)."""
    def factory(_: Settings) -> ScriptedModel:
        model = ScriptedModel([dict(t) for t in turns]) if turns is not None else ScriptedModel.from_file(DEMO_SCRIPT)
        model.name = "scripted"
        return model

    settings = Settings(model="scripted", approve=approve, interactive=True, plan=plan)
    return Launch(settings=settings, root=repo, session_dir=session_dir, model_factory=factory)


async def wait_until(pilot: Any, cond: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until `cond()` holds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for the UI")
        await pilot.pause(0.05)


def blocks(app: PithApp, kind: type | None = None) -> list[Any]:
    """The mounted conversation blocks (of one kind)."""
    found = app.query_one(Conversation).blocks
    return [b for b in found if kind is None or isinstance(b, kind)]


def notices(app: PithApp) -> str:
    """All notice lines as one text."""
    return "\n".join(str(b.render()) for b in blocks(app, NoticeBlock))


async def run_demo_turn(pilot: Any, app: PithApp) -> None:
    """Wait for the session, then for the first turn (sent as the launch task) to end."""
    await wait_until(pilot, lambda: app.session is not None and app.turn_done.is_set() and not app.busy)
    await pilot.pause(0.1)


async def test_full_turn_with_tools_and_edit(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir), task=TASK, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        assert [type(b) for b in blocks(app)][:3] == [NoticeBlock, UserBlock, AssistantBlock]
        tools = blocks(app, ToolBlock)
        assert [t.name_ for t in tools][:3] == ["plan", "grep", "read_symbol"]
        assert all(t.status == "ok" for t in tools)
        diff = blocks(app, DiffBlock)[0]
        assert diff.path == "shop/cart.py" and "+        return round_cents(subtotal * (100 - percent) / 100)" in diff.diff
        assert "subtotal * (100 - percent) / 100" in (demo_repo / "shop" / "cart.py").read_text()
        assert "All three cart tests pass." in [b.text for b in blocks(app, AssistantBlock)]
        side = app.query_one(SidePanel)
        assert [s["status"] for s in side.steps] == ["done", "done", "done", "in_progress"]
        assert side.facts and "percent as money" in side.facts[0]["text"]
        status = app.query_one(StatusBar)
        assert status.context_tokens > 0 and status.state == "idle"
        await pilot.press("ctrl+o")
        assert not tools[-1].collapsed
        assert str(tools[-1].output.render()) == "finished"
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
    log = next(session_dir.glob("*.jsonl")).read_text().splitlines()
    assert json.loads(log[-1])["type"] == "session_finished"


async def test_tool_output_is_exactly_what_model_saw(demo_repo: Path, session_dir: Path) -> None:
    app = PithApp(make_launch(demo_repo, session_dir), task=TASK, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        grep = blocks(app, ToolBlock)[1]
        seen = [m["content"] for m in app.session.history if m.get("tool_call_id") == grep.call_id]
        assert str(grep.output.render()) == seen[0]


APPROVAL_TURNS = [
    turn("", call("run", command="echo one")),
    turn("", call("run", command="git status")),
    turn("", call("run", command="git status --short")),
    turn("", call("write_file", path="notes.txt", content="hi\n")),
    turn("Stopping here."),
]


async def test_approval_allow_always_deny(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    launch = make_launch(repo, None, APPROVAL_TURNS, approve="ask", plan=False)
    app = PithApp(launch, task="do things", frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        assert app.screen.request.summary == "echo one"
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.screen.request.summary == "git status")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.screen.request.kind == "write")
        await pilot.pause(0.1)  # let the dialog compose before querying it
        assert [t.status for t in blocks(app, ToolBlock)][:3] == ["ok", "ok", "ok"]  # `git status --short`: no question
        assert "+hi" in app.screen.request.detail  # the content being written is shown before approval
        assert app.screen.query_one("#approval-detail").display
        await pilot.press("d")
        await pilot.press(*"not that file")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.turn_done.is_set())
        assert not (repo / "notes.txt").exists()
        assert blocks(app, ToolBlock)[3].status == "denied"
        assert "denied: not that file" in notices(app)
        last_request = app.session.model.requests[-1]
        assert "not that file" in [m for m in last_request if m.get("role") == "tool"][-1]["content"]


async def test_interrupt_then_double_ctrl_c_quits(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    app = PithApp(make_launch(repo, tmp_path / "s", [turn("", call("run", command="sleep 30"))], plan=False),
                  task="wait", frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any(t.status == "running" for t in blocks(app, ToolBlock)))
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: app.turn_done.is_set())
        assert "turn ended: interrupted" in notices(app)
        assert app.is_running and app.session is not None
        app._last_ctrl_c = 0.0
        await pilot.press("ctrl+c", "ctrl+c")
        await wait_until(pilot, lambda: not app.is_running)
    assert '"status": "interrupted"' in next((tmp_path / "s").glob("*.jsonl")).read_text()


async def test_plan_panel_updates_live(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None), autostart=False, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        app.on_session_event(PlanUpdated(steps=[{"step": "read", "status": "in_progress"}, {"step": "fix", "status": "pending"}]))
        await pilot.pause()
        assert "▸ 1. read" in str(app.query_one(SidePanel).plan.render())
        app.on_session_event(PlanUpdated(steps=[{"step": "read", "status": "done"}, {"step": "fix", "status": "in_progress"}]))
        await pilot.pause()
        text = str(app.query_one(SidePanel).plan.render())
        assert "✓ 1. read" in text and "▸ 2. fix" in text


async def test_composer_enter_newline_history_paste(demo_repo: Path) -> None:
    app = PithApp(make_launch(demo_repo, None, [turn("one"), turn("two"), turn("three")]), autostart=True, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.session is not None)
        composer = app.query_one(Composer)
        await pilot.press(*"first", "ctrl+j", *"line")
        assert composer.text == "first\nline"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.turn_done.is_set())
        assert composer.text == ""
        assert app.session.history[0]["content"] == "first\nline"
        await pilot.press("up")
        assert composer.text == "first\nline"
        await pilot.press("down", "down")  # the first moves to the recalled text's last line
        assert composer.text == ""
        from textual import events

        pasted = "\n".join(f"line {i}" for i in range(30))
        composer.post_message(events.Paste(pasted.replace("\n", "\r")))  # as tmux pastes it
        await pilot.pause()
        assert composer.text == "[pasted 30 lines]"
        composer.clear()
        composer._pastes.clear()
        composer.post_message(events.Paste(pasted))
        await pilot.pause()
        assert composer.text == "[pasted 30 lines]"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len([m for m in app.session.history if m["role"] == "user"]) == 2)
        assert [m for m in app.session.history if m["role"] == "user"][-1]["content"] == pasted


async def test_first_paint_before_slow_session(demo_repo: Path) -> None:
    launch = make_launch(demo_repo, None)
    real = launch.new_session

    def slow(task: str = "") -> Any:
        time.sleep(1.5)  # like importing litellm
        return real(task)

    launch.new_session = slow  # type: ignore[method-assign]
    app = PithApp(launch, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.first_paint_s is not None, timeout=5)
        assert app.first_paint_s < 1.0 and app.session is None
        await pilot.press(*"typing while it starts")
        assert app.query_one(Composer).text == "typing while it starts"
        await wait_until(pilot, lambda: app.session is not None)


async def test_message_typed_while_starting_is_sent_when_ready(demo_repo: Path) -> None:
    launch = make_launch(demo_repo, None, [turn("got it")])
    real = launch.new_session

    def slow(task: str = "") -> Any:
        time.sleep(1.0)
        return real(task)

    launch.new_session = slow  # type: ignore[method-assign]
    app = PithApp(launch, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.first_paint_s is not None)
        await pilot.press(*"early", "enter")
        await wait_until(pilot, lambda: "got it" in [b.text for b in blocks(app, AssistantBlock)])
        assert app.session.history[0]["content"] == "early"


def test_cli_help_and_bad_resume(demo_repo: Path, session_dir: Path) -> None:
    from tests.conftest import run_pith

    helped = run_pith(["tui", "--help"], demo_repo, session_dir)
    assert helped.returncode == 0 and "--continue" in helped.stdout and "--approve" in helped.stdout
    bad = run_pith(["--resume", "nosuchsession"], demo_repo, session_dir)
    assert bad.returncode == 2 and "nosuchsession" in bad.stderr
    none = run_pith(["--continue"], demo_repo, session_dir)
    assert none.returncode == 2 and "no earlier session" in none.stderr


async def test_interrupt_closes_open_approval_and_narrow_hides_panel(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    launch = make_launch(repo, None, [turn("", call("run", command="echo hi")), turn("ok")], approve="ask", plan=False)
    app = PithApp(launch, task="go", frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.query_one(SidePanel).display
        await wait_until(pilot, lambda: isinstance(app.screen, ApprovalScreen))
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: app.turn_done.is_set() and not isinstance(app.screen, ApprovalScreen))
        assert "turn ended: interrupted" in notices(app)
        await pilot.press("ctrl+b")
        assert app.query_one(SidePanel).display
