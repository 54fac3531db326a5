"""The session core with the scripted model: events, log round trip, limits, reminders, interrupts."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.core.events import AssistantMessage, SessionFinished
from agent.core.ops import Interrupt, Shutdown, SubmitTurn
from agent.frontends.headless import exit_code, run_headless
from agent.log.writer import LogError, read_log
from agent.compose import build_session
from tools.base import Args, Tool, ToolContext, ToolResult


def turn(*calls: tuple[str, dict], content: str = "") -> dict:
    """An assistant message with tool calls."""
    return {"role": "assistant", "content": content, "tool_calls": [
        {"id": f"c{i}_{name}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)]}


def session_for(repo: Path, turns: list[dict], session_dir: Path | None = None, **settings: object):
    """A session on `repo` driven by scripted turns."""
    opts = {"approve": "auto", "plan": False, **settings}
    return build_session(Settings(model="scripted:x", **opts), repo, None, session_dir, "task",
                         model=ScriptedModel(turns))


def run(session, task: str = "task") -> SessionFinished:
    """Run headless into a throwaway buffer."""
    import io

    return asyncio.run(run_headless(session, task, json_mode=True, out=io.StringIO()))


def test_log_round_trip(demo_repo: Path, session_dir: Path) -> None:
    turns = [turn(("grep", {"pattern": "def total"}), ("read_lines", {"path": "shop/cart.py", "start": 1, "end": 3})),
             turn(("finish", {"summary": "looked"}))]
    session = session_for(demo_repo, turns, session_dir)
    result = run(session)
    assert result.status == "finished" and exit_code(result.status) == 0
    loaded = read_log(Path(result.log_path))
    assert loaded.header["session_id"] == session.id and loaded.note == ""
    types = [e.type for e in loaded.events]
    assert types[0] == "session_started" and types[-1] == "session_finished"
    finished = [e for e in loaded.events if e.type == "tool_call_finished"]
    assert "def total" in finished[0].text and finished[1].text.startswith("shop/cart.py lines 1-3")
    # The recorded text is exactly what the model was sent next.
    sent = [m["content"] for m in session.model.requests[1] if m["role"] == "tool"]
    assert sent == [finished[0].text, finished[1].text]


def test_truncated_log_reads_with_note_and_bad_format_refused(tmp_path: Path, demo_repo: Path, session_dir: Path) -> None:
    result = run(session_for(demo_repo, [turn(("finish", {"summary": "ok"}))], session_dir))
    path = Path(result.log_path)
    path.write_text(path.read_text() + '{"type": "notice", "text": "cut of')
    loaded = read_log(path)
    assert "incomplete" in loaded.note and loaded.events[-1].type == "session_finished"
    old = tmp_path / "old.jsonl"
    old.write_text('{"pith_log": 99}\n')
    with pytest.raises(LogError, match="format 99 is not supported"):
        read_log(old)


def test_max_steps_limit(demo_repo: Path) -> None:
    turns = [turn(("grep", {"pattern": "x"})) for _ in range(10)]
    result = run(session_for(demo_repo, turns, max_steps=3))
    assert result.status == "limit_reached" and result.steps == 3 and "max steps" in result.limit
    assert exit_code(result.status) == 3


def test_verify_reminder_then_finish(demo_repo: Path) -> None:
    edit = ("edit", {"path": "shop/pricing.py", "old": '"HALF": 50', "new": '"HALF": 50, "VIP": 20'})
    turns = [turn(edit), turn(("finish", {"summary": "added"})),
             turn(("run", {"command": f"{sys.executable} -m unittest -q tests.test_cart"})),
             turn(("finish", {"summary": "added, tests run"}))]
    session = session_for(demo_repo, turns)
    result = run(session)
    assert result.status == "finished" and result.files_changed == ["shop/pricing.py"]
    texts = [m["content"] for m in session.history if m["role"] == "tool"]
    assert any("have not run anything since the last edit" in t for t in texts)
    assert result.verified is False  # the sample still has its failing test


def test_plan_reminder_once(demo_repo: Path) -> None:
    turns = [turn(("grep", {"pattern": "total"})), turn(("grep", {"pattern": "code"})), turn(("finish", {"summary": "s"}))]
    session = session_for(demo_repo, turns, plan=True)
    run(session)
    reminders = [m for m in session.history if m["role"] == "user" and "`plan` tool" in m["content"]]
    assert len(reminders) == 1


def test_text_only_reply_nudged_then_not_completed(demo_repo: Path) -> None:
    turns = [{"role": "assistant", "content": "I think it is fine."}, {"role": "assistant", "content": "Yes, fine."}]
    result = run(session_for(demo_repo, turns))
    assert result.status == "not_completed" and exit_code(result.status) == 1


class Exploding(Tool):
    """A tool with a bug in it."""

    name = "explode"
    description = "crashes"

    async def run(self, args: Args, ctx: ToolContext) -> ToolResult:
        """Fail the way real bugs do."""
        raise KeyError("boom")


def test_tool_crash_is_an_observation(demo_repo: Path) -> None:
    turns = [turn(("explode", {})), turn(("finish", {"summary": "s"}))]
    session = session_for(demo_repo, turns)
    session.tools["explode"] = Exploding()
    assert run(session).status == "finished"
    crash = [m["content"] for m in session.history if m["role"] == "tool"][0]
    assert crash.startswith("error: explode failed with an internal error: KeyError")


def test_interrupt_ends_turn_with_130_and_valid_history(demo_repo: Path, session_dir: Path) -> None:
    turns = [turn(("run", {"command": "sleep 30"}), ("grep", {"pattern": "x"}))]
    session = session_for(demo_repo, turns, session_dir)

    async def drive() -> SessionFinished:
        session.start()
        session.submit(SubmitTurn("task"))
        events = []

        async def pump() -> None:
            async for e in session.events():
                events.append(e)
                if isinstance(e, AssistantMessage):
                    asyncio.get_running_loop().call_later(0.5, session.submit, Interrupt())

        consumer = asyncio.ensure_future(pump())
        status = await session.wait_turn()
        session.submit(Shutdown())
        await consumer
        assert status == "interrupted"
        return events[-1]

    result = asyncio.run(asyncio.wait_for(drive(), 20))
    assert result.status == "interrupted" and exit_code(result.status) == 130
    tool_msgs = [m for m in session.history if m["role"] == "tool"]
    assert len(tool_msgs) == 2 and all("interrupted" in m["content"] for m in tool_msgs)
    assert read_log(Path(result.log_path)).events[-1].type == "session_finished"


def test_never_mode_denies_commands_and_edits(demo_repo: Path) -> None:
    before = (demo_repo / "shop/cart.py").read_bytes()
    turns = [turn(("run", {"command": "touch hacked"}),
                  ("edit", {"path": "shop/cart.py", "old": "def total", "new": "def total2"})),
             turn(("finish", {"summary": "s"}))]
    session = session_for(demo_repo, turns, approve="never")
    run(session)
    texts = [m["content"] for m in session.history if m["role"] == "tool"]
    assert all("not allowed" in t for t in texts[:2])
    assert not (demo_repo / "hacked").exists() and (demo_repo / "shop/cart.py").read_bytes() == before
