"""Interactive approvals through the session's ops: the request carries what is being approved."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.core.events import ApprovalRequested, SessionFinished
from agent.core.ops import ResolveApproval, Shutdown, SubmitTurn
from agent.compose import build_session


def turn(name: str, **args: object) -> dict:
    """One assistant message with one call."""
    return {"role": "assistant", "content": "", "tool_calls": [
        {"id": f"c_{name}_{len(json.dumps(args))}", "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}}]}


def drive(repo: Path, turns: list[dict], answers: list[str]) -> tuple[list, object]:
    """Run a turn in ask mode, answering approval requests in order."""
    session = build_session(Settings(model="scripted:x", approve="ask", interactive=True, plan=False), repo, None,
                            None, "t", model=ScriptedModel(turns))

    async def go() -> list:
        seen = []
        session.start()
        session.submit(SubmitTurn("t"))

        async def pump() -> None:
            async for event in session.events():
                seen.append(event)
                if isinstance(event, ApprovalRequested):
                    decision = answers.pop(0)
                    session.submit(ResolveApproval(event.request_id, decision, reason="not like that"))

        consumer = asyncio.ensure_future(pump())
        await session.wait_turn()
        session.submit(Shutdown())
        await consumer
        return seen

    return asyncio.run(asyncio.wait_for(go(), 30)), session


def test_edit_approval_shows_the_diff_and_bad_edits_never_ask(demo_repo: Path) -> None:
    turns = [turn("edit", path="shop/cart.py", old="def nothing_like_this", new="x"),
             turn("edit", path="shop/pricing.py", old='"HALF": 50', new='"HALF": 40'),
             turn("finish", summary="s")]
    events, session = drive(demo_repo, turns, ["deny"])
    asks = [e for e in events if isinstance(e, ApprovalRequested)]
    assert len(asks) == 1  # the edit that cannot match failed without bothering anyone
    assert asks[0].summary == "edit shop/pricing.py (+1 -1)"
    assert '-CODES = {"WELCOME10": 10, "HALF": 50}' in asks[0].detail and '"HALF": 40' in asks[0].detail
    tool_texts = [m["content"] for m in session.history if m["role"] == "tool"]
    assert "the user denied this write: not like that" in tool_texts[1]
    assert '"HALF": 50' in (demo_repo / "shop/pricing.py").read_text()
    assert isinstance(events[-1], SessionFinished)


def test_always_allows_the_same_command_again(demo_repo: Path) -> None:
    turns = [turn("run", command="git status --short"), turn("run", command="git status"), turn("finish", summary="s")]
    events, session = drive(demo_repo, turns, ["always"])
    asks = [e for e in events if isinstance(e, ApprovalRequested)]
    assert len(asks) == 1 and asks[0].pattern == "git status"
    outputs = [m["content"] for m in session.history if m["role"] == "tool"]
    assert all(o.startswith("exit code 0") for o in outputs[:2])
