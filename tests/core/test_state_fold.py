"""The session's state is the fold of its events: the live state equals the state folded from the log it wrote,
and every golden log folds to what resume rebuilds."""
from __future__ import annotations

import asyncio
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.core.events import SessionFinished, ToolCallFinished, TurnStatus
from agent.core.ops import Interrupt, Shutdown, SubmitTurn
from agent.frontends.headless import run_headless
from agent.log.writer import read_log
from agent.log.resume import load_session
from agent.compose import build_session
from agent.core.state import SessionState
from tests.context.test_context import repo, script, step
from tests.context.test_context_compaction import SUMMARY, long_script

GOLDEN = Path(__file__).parents[1] / "golden"
DEMO_SCRIPT = Path(__file__).parents[2] / "agent" / "demo" / "demo_script.jsonl"


def fields(state: SessionState) -> dict[str, Any]:
    """The state, field by field, in comparable form."""
    return {"history": state.history, "totals": dataclasses.asdict(state.totals), "pad": state.pad.to_dict(),
            "context": dataclasses.asdict(state.context), "last_status": state.last_status, "summary": state.summary,
            "verified": state.verified, "model": state.model, "pending": state.pending}


def assert_same(live: SessionState, folded: SessionState) -> None:
    """Every field of the live state equals the folded one."""
    want, got = fields(live), fields(folded)
    for name in want:
        assert got[name] == want[name], name


def folded(log: Path) -> SessionState:
    """The state a log folds to, from nothing."""
    return SessionState().fold(read_log(log).events)


def live_run(root: Path, turns: list[dict[str, Any]], session_dir: Path, compact: Any = None,
             **settings: Any) -> tuple[Any, Any]:
    """Run a scripted session headless in-process; (session, result)."""
    opts = {"approve": "auto", "plan": False, "context_window": 200000, **settings}
    session = build_session(Settings(model="scripted:x", **opts), root, None, session_dir, "task",
                            model=ScriptedModel(turns))
    if compact is not None:
        session.compact_model = compact
    result = asyncio.run(run_headless(session, "fix the thing", json_mode=True, out=io.StringIO()))
    return session, result


def test_demo_session_live_equals_folded(demo_repo: Path, session_dir: Path) -> None:
    from agent.demo import TASK

    session = build_session(Settings(model="scripted:demo", approve="auto"), demo_repo, None, session_dir, TASK,
                            model=ScriptedModel.from_file(DEMO_SCRIPT))
    result = asyncio.run(run_headless(session, TASK, out=io.StringIO()))
    assert result.status == "finished" and session.state.totals.files and session.state.pad.steps
    assert_same(session.state, folded(Path(result.log_path)))


async def test_edits_runs_and_verify_fold_to_the_live_verified(demo_repo: Path, session_dir: Path) -> None:
    turns = [step(("write_file", {"path": "new.txt", "content": "hello\n"}), ("run", {"command": "cat new.txt"}),
                  ("run", {"command": "git push --force"}), n=0),
             step(("finish", {"summary": "not yet", "verify": "exit 3"}), n=1),
             step(("finish", {"summary": "wrote new.txt", "verify": "test -f new.txt"}), n=2)]
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False), demo_repo, None, session_dir,
                            "task", model=ScriptedModel(turns))
    session.start()
    session.submit(SubmitTurn("fix the thing"))
    await session.wait_turn()
    session.submit(Shutdown())
    live = [e for e in [event async for event in session.events()] if isinstance(e, ToolCallFinished)]
    logged = [e for e in read_log(Path(session.log.path)).events if isinstance(e, ToolCallFinished)]
    assert [e.outcome for e in live] == [e.outcome for e in logged] == ["", "command", "", "command", "finished"]
    assert session.state.verified and session.state.summary == "wrote new.txt"
    assert_same(session.state, folded(Path(session.log.path)))


def test_a_crashed_session_resumes_with_the_live_verified(demo_repo: Path, session_dir: Path) -> None:
    """Cut the log after the passing run that followed an edit: the fold is verified, as the live run was."""
    turns = [step(("write_file", {"path": "new.txt", "content": "hello\n"}), ("run", {"command": "true"}), n=0),
             step(("finish", {"summary": "done"}), n=1)]
    _, result = live_run(demo_repo, turns, session_dir)
    log = Path(result.log_path)
    lines = log.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if json.loads(line).get("call_id") == "s0c1"
               and json.loads(line)["type"] == "tool_call_finished")
    log.write_text("\n".join(lines[: cut + 1]) + "\n")
    state = folded(log)
    assert state.verified is True and state.summary == "" and state.pending == {}
    again = load_session(log, model=ScriptedModel([]), append=False)
    assert_same(state, again.state)


def test_plan_and_notes_fold(tmp_path: Path, session_dir: Path) -> None:
    turns = script([("plan", {"steps": [{"step": "look", "status": "in_progress"}, {"step": "fix"}]})],
                   [("note", {"text": "first", "at": "big.py:3-4"}), ("note", {"text": "second"}),
                    ("read_lines", {"path": "small.txt"})])
    session, result = live_run(repo(tmp_path), turns, session_dir)
    assert [f.id for f in session.state.pad.facts] == [1, 2] and session.state.pad.steps[0]["status"] == "in_progress"
    texts = [m["content"] for m in session.history if m["role"] == "tool"]
    assert "noted #1" in texts and "noted #2" in texts
    assert_same(session.state, folded(Path(result.log_path)))


def test_evictions_and_compaction_fold(tmp_path: Path, session_dir: Path) -> None:
    summariser = ScriptedModel([{"content": SUMMARY}] * 5)
    session, result = live_run(repo(tmp_path), long_script(12), session_dir, compact=summariser,
                               context_budget=6500, keep_turns=2)
    book = session.state.context
    assert book.evicted and book.compactions and book.summary and book.meta and book.peak_tokens
    assert session.state.totals.input_tokens >= 0 and result.compactions == book.compactions
    assert_same(session.state, folded(Path(result.log_path)))


async def test_an_interrupted_call_folds(demo_repo: Path, session_dir: Path) -> None:
    turns = [step(("run", {"command": "sleep 30"}), ("read_lines", {"path": "shop/cart.py"}), n=0)]
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False), demo_repo, None, session_dir,
                            "task", model=ScriptedModel(turns))
    session.start()
    session.submit(SubmitTurn("go"))
    for _ in range(200):
        await asyncio.sleep(0.05)
        if "s0c0" in session.state.pending:
            break
    await asyncio.sleep(0.3)
    session.submit(Interrupt())
    assert await session.wait_turn() == TurnStatus.INTERRUPTED
    assert not session.state.pending
    session.submit(Shutdown())
    async for _ in session.events():
        pass
    tool = [m["content"] for m in session.history if m["role"] == "tool"]
    assert len(tool) == 2 and all("interrupted" in t for t in tool)
    assert_same(session.state, folded(Path(session.log.path)))


@pytest.mark.parametrize("log", sorted(GOLDEN.glob("*.jsonl")), ids=lambda p: p.name)
def test_golden_logs_fold_to_what_resume_rebuilds(log: Path, tmp_path: Path) -> None:
    loaded = read_log(log)
    state = SessionState().fold(loaded.events)
    replies = [m for m in state.history if m["role"] == "assistant"]
    assert state.totals.steps == len(replies) > 0 and state.last_status in set(TurnStatus)
    called: set[str] = set()
    for message in state.history:  # well formed: every result follows its call, every call is answered
        called |= {c["id"] for c in message.get("tool_calls") or []}
        assert message["role"] != "tool" or message["tool_call_id"] in called
    answered = {m["tool_call_id"] for m in state.history if m["role"] == "tool"}
    assert called == answered | set(state.pending)
    again = load_session(log, model=ScriptedModel([]), append=False, root=tmp_path)
    assert_same(state, again.state)


@pytest.mark.parametrize("log", sorted(GOLDEN.glob("*.jsonl")), ids=lambda p: p.name)
def test_golden_logs_fold_to_the_results_they_recorded(log: Path) -> None:
    """Just before each session_finished, the fold equals what the live code of the day wrote into it."""
    state, checked = SessionState(), 0
    for event in read_log(log).events:
        if isinstance(event, SessionFinished):
            t, book = state.totals, state.context
            assert (state.last_status, state.summary, state.verified, t.steps, t.input_tokens, t.output_tokens,
                    t.files, book.compactions, book.peak_tokens) == (
                event.status, event.summary, event.verified, event.steps, event.input_tokens, event.output_tokens,
                event.files_changed, event.compactions, event.peak_context_tokens)
            checked += 1
        state.apply(event)
    assert checked
