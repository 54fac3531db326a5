"""Compaction: at the threshold, scratchpad kept, failures fall back to eviction, resume rebuilds the same view."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agent.backends.base import ModelError, ModelReply
from agent.backends.scripted import ScriptedModel
from agent.context.compaction import compact_now
from agent.context.manager import ContextManager
from agent.core.state import apply_context
from agent.core.events import ContextCompacted, ContextEvicted
from agent.log.writer import read_log
from agent.log.resume import load_session
from tests.context.test_context import of, repo, run_session, script

SUMMARY = "## Task\nfix the thing\n## Decisions\nSUMMARY-MARK\n## Files changed\nnone\n## Tests and status\nnone\n## Open questions\nnone"


def long_script(n: int = 10) -> list[dict[str, Any]]:
    """A plan, two notes, then `n` reads of big.py, then finish."""
    turns: list[list[tuple[str, dict[str, Any]]]] = [
        [("plan", {"steps": [{"step": "read big.py", "status": "in_progress"}, {"step": "fix", "status": "pending"}]})],
        [("note", {"text": "FACT-ONE v_3 is wrong", "path": "big.py", "lines": "4-4"})],
    ]
    turns += [[("read_lines", {"path": "big.py", "start": 1 + 50 * k, "end": 50 * (k + 1)})] for k in range(n)]
    turns.insert(6, [("note", {"text": "FACT-TWO other.py is fine", "path": "other.py"})])
    return script(*turns)


def well_formed(messages: list[dict[str, Any]]) -> bool:
    """Every tool result follows the assistant message that called it."""
    called: set[str] = set()
    for m in messages:
        for call in m.get("tool_calls") or []:
            called.add(call["id"])
        if m["role"] == "tool" and m["tool_call_id"] not in called:
            return False
    return True


def test_compaction_at_threshold_keeps_scratchpad(tmp_path: Path) -> None:
    summariser = ScriptedModel([{"content": SUMMARY}] * 5)
    session, events = run_session(repo(tmp_path), long_script(), compact=summariser, context_budget=6500,
                                  keep_turns=2)
    compacted = of(events, "context_compacted")
    assert compacted and of(events, "context_evicted")  # eviction first, then compaction
    first = compacted[0]
    assert first["tokens_after"] < first["tokens_before"] and first["dropped"] > 0 and first["upto_index"] > 0
    assert session.history[first["upto_index"]]["role"] == "assistant"  # never split a call from its results
    assert "SUMMARY-MARK" in first["summary"] and first["summary"].startswith("Original request (verbatim):\nfix the thing")
    prompt = summariser.requests[0]
    assert "## Files changed" in prompt[0]["content"] and "<transcript>" in prompt[1]["content"]
    assert "FACT-ONE" in prompt[1]["content"]  # the summariser sees the scratchpad too
    last = session.model.requests[-1]
    assert "SUMMARY-MARK" in last[1]["content"] and well_formed(last)
    tail = last[-1]["content"]
    assert "FACT-ONE" in tail and "FACT-TWO" in tail and "[>] 1. read big.py" in tail
    result = session.result()
    assert result.compactions == len(compacted) == session.context.compactions and result.peak_context_tokens > 0
    assert max(e["context_tokens"] for e in of(events, "assistant_message")) <= session.context.budget


class Broken:
    """A summariser that always fails."""

    name = "broken"

    async def complete(self, messages: Any, tools: Any, on_delta: Any = None) -> ModelReply:
        """Fail like a provider would."""
        raise ModelError("server exploded", kind="server")


def test_failed_compaction_falls_back_to_eviction(tmp_path: Path) -> None:
    session, events = run_session(repo(tmp_path), long_script(), compact=Broken(), context_budget=6500, keep_turns=2)
    notices = [e["text"] for e in of(events, "notice")]
    assert any("compaction failed (server exploded)" in t for t in notices)
    assert any(e["reason"] == "budget" for e in of(events, "context_evicted"))
    assert not of(events, "context_compacted") and session.result().status == "finished"
    assert "FACT-ONE" in session.model.requests[-1][-1]["content"]


def test_circuit_breaker_and_oversize_summary(tmp_path: Path) -> None:
    huge = ScriptedModel([{"content": "word " * 5000}])
    session, _ = run_session(repo(tmp_path), long_script(4), context_window=200000)
    session.compact_model = huge
    seen: list[Any] = []
    session.emit = seen.append  # collect what compaction reports
    text = asyncio.run(compact_now(session, "", "user"))
    assert text.startswith("compaction failed (summary too large") and session.context.summary == ""
    session.compact_model = Broken()
    asyncio.run(compact_now(session, "", "user"))
    assert not session.context.compaction_disabled
    asyncio.run(compact_now(session, "", "user"))
    assert session.context.compaction_disabled and session.context.failures == 3
    assert any("off for this session" in getattr(e, "text", "") for e in seen)
    text = asyncio.run(compact_now(session, "", "user"))
    assert text.startswith("compaction is off for this session")


def test_compact_tool_and_focus(tmp_path: Path) -> None:
    summariser = ScriptedModel([{"content": SUMMARY}])
    turns = long_script(4)
    turns.insert(-1, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "cmp", "type": "function", "function": {"name": "compact", "arguments": '{"focus": "v_3"}'}}]})
    session, events = run_session(repo(tmp_path), turns, compact=summariser, keep_turns=1)
    result = next(e for e in of(events, "tool_call_finished") if e["call_id"] == "cmp")
    assert result["text"].startswith("compacted ") and "scratchpad kept" in result["text"]
    assert of(events, "context_compacted")[0]["focus"] == "v_3"
    assert "Focus: keep everything about v_3." in summariser.requests[0][1]["content"]


class TooLongOnce(ScriptedModel):
    """Raises a context-length error on its third call, then plays the script."""

    async def complete(self, messages: Any, tools: Any, on_delta: Any = None) -> ModelReply:
        """Fail once."""
        if len(self.requests) == 2 and not getattr(self, "failed", False):
            self.failed = True
            raise ModelError("maximum context length exceeded", kind="context_length")
        return await super().complete(messages, tools, on_delta)


def test_context_length_error_compacts_and_retries(tmp_path: Path) -> None:
    from agent.frontends.headless import run_headless
    from agent.compose import build_session
    from agent.settings.config import Settings
    import io

    model = TooLongOnce(long_script(3))
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False, keep_turns=3), repo(tmp_path),
                            None, None, "t", model=model)
    session.compact_model = ScriptedModel([{"content": SUMMARY}])
    result = asyncio.run(run_headless(session, "fix the thing", json_mode=True, out=io.StringIO()))
    assert result.status == "finished" and result.compactions == 1
    assert session.context.compacted_upto > 0 and model.failed and len(model.requests) == len(model.turns)


def test_resumed_view_equals_live(tmp_path: Path, session_dir: Path) -> None:
    summariser = ScriptedModel([{"content": SUMMARY}] * 5)
    live, events = run_session(repo(tmp_path), long_script(12), session_dir=session_dir, compact=summariser,
                               context_budget=6500, keep_turns=2)
    assert of(events, "context_compacted") and of(events, "context_evicted")
    logged = read_log(Path(live.result().log_path if live.log else "")).events
    fresh = ContextManager(root=live.root, system_prompt=live.context.system_prompt,
                           instructions=live.context.instructions)
    for event in logged:
        if isinstance(event, (ContextEvicted, ContextCompacted)):
            apply_context(fresh.book, event)
    assert fresh.view(live.history, live.pad) == live.context.view(live.history, live.pad)
    assert fresh.compactions == live.context.compactions and fresh.evicted == live.context.evicted
    again = load_session(Path(live.log.path), model=ScriptedModel([]), append=False)
    assert again.context.view(again.history, again.pad) == live.context.view(live.history, live.pad)
