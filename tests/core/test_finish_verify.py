"""`finish` with `verify`: the command runs like `run` (policy, sandbox), and the task ends only if it passes."""
from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.frontends.headless import run_headless
from agent.compose import build_session


def turn(n: int, *calls: tuple[str, dict]) -> dict:
    """An assistant message (no text) with tool calls."""
    return {"role": "assistant", "content": "", "tool_calls": [
        {"id": f"t{n}c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)]}


def run(repo: Path, turns: list[dict], **settings: object) -> tuple[object, list[dict]]:
    """Run headless; (result, events)."""
    opts = {"approve": "auto", "plan": False, **settings}
    session = build_session(Settings(model="scripted:x", **opts), repo, None, None, "task", model=ScriptedModel(turns))
    out = io.StringIO()
    result = asyncio.run(run_headless(session, "fix it", json_mode=True, out=out))
    return result, [json.loads(line) for line in out.getvalue().splitlines() if line.strip()], session


def test_failing_verify_keeps_the_turn_going_then_passes(demo_repo: Path) -> None:
    test = "python -m pytest -q tests/test_cart.py"
    fix = {"path": "shop/pricing.py", "old": "", "new": ""}
    source = (demo_repo / "shop/pricing.py").read_text()
    turns = [turn(0, ("finish", {"summary": "done", "verify": test})),  # still failing: not finished
             turn(1, ("edit", {**fix, "old": source, "new": source}), ("finish", {"summary": "x", "verify": "exit 3"})),
             turn(2, ("finish", {"summary": "fixed", "verify": "true"}))]
    result, events, session = run(demo_repo, turns)
    done = [e for e in events if e["type"] == "tool_call_finished" and e["name"] == "finish"]
    assert done[0]["is_error"] and "not finished: verify" in done[0]["text"] and "failed" in done[0]["text"]
    assert done[1]["is_error"] and "exit" in done[1]["text"].lower()
    assert not done[2]["is_error"] and "verified" in done[2]["text"]
    assert result.status == "finished" and result.verified is True and result.steps == 3
    # The failure output reached the model as the finish call's result.
    sent = [m for m in session.model.requests[1] if m.get("tool_call_id") == "t0c0"]
    assert sent and "failed" in sent[0]["content"]


def test_verify_goes_through_the_approval_policy(demo_repo: Path) -> None:
    turns = [turn(0, ("finish", {"summary": "done", "verify": "git push --force origin main"})),
             turn(1, ("finish", {"summary": "done"}))]
    result, events, _ = run(demo_repo, turns)
    first = [e for e in events if e["type"] == "tool_call_finished"][0]
    assert first["is_error"] and "not allowed" in first["text"]
    assert result.status == "finished" and result.verified is False


def test_edit_then_run_in_one_reply_run_in_order(demo_repo: Path) -> None:
    turns = [turn(0, ("write_file", {"path": "new.txt", "content": "hello\n"}), ("run", {"command": "cat new.txt"})),
             turn(1, ("finish", {"summary": "done"}))]
    _, events, _ = run(demo_repo, turns)
    ran = [e for e in events if e["type"] == "tool_call_finished" and e["name"] == "run"][0]
    assert "hello" in ran["text"] and not ran["is_error"]
