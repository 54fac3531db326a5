"""Context manager: budget arithmetic, eviction stubs and regions, prefix stability, cache marks, instructions."""
from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.context.instructions import MAX_INSTRUCTIONS, project_instructions
from agent.context.manager import ContextManager
from agent.core.events import AssistantMessage
from agent.context.scratchpad import Scratchpad
from agent.core.state import ContextBook
from agent.context.tokens import compute_budget, count_messages, counts_are_estimates
from conftest import make_repo


def big_file(n: int = 600, tag: str = "v") -> str:
    """A Python file with `n` bulky lines."""
    return "".join(f"{tag}_{i} = compute_value({i}, 'alpha beta gamma delta epsilon', scale={i * 7})\n" for i in range(n))


def repo(tmp_path: Path) -> Path:
    """A small repo with two big files."""
    return make_repo(tmp_path / "repo", {"big.py": big_file(), "other.py": big_file(300, "w"), "small.txt": "hi\n"})


def step(*calls: tuple[str, dict[str, Any]], n: int = 0, content: str = "") -> dict[str, Any]:
    """An assistant message with tool calls whose ids are unique per step."""
    return {"role": "assistant", "content": content, "tool_calls": [
        {"id": f"s{n}c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)]}


def script(*turns: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Turns of calls, numbered, then finish."""
    out = [step(*calls, n=n) for n, calls in enumerate(turns)]
    out.append(step(("finish", {"summary": "done"}), n=len(turns)))
    return out


def run_session(root: Path, turns: list[dict[str, Any]], session_dir: Path | None = None, compact: Any = None,
                **settings: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Run a scripted session headless; (session, events as dicts)."""
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    opts = {"approve": "auto", "plan": False, "context_window": 200000, **settings}
    session = build_session(Settings(model="scripted:x", **opts), root, None, session_dir, "task",
                            model=ScriptedModel(turns))
    if compact is not None:
        session.compact_model = compact
    out = io.StringIO()
    result = asyncio.run(run_headless(session, "fix the thing", json_mode=True, out=out))
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert result.status == "finished", events[-3:]
    return session, events


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Events of one type."""
    return [e for e in events if e["type"] == kind]


def test_budget_arithmetic() -> None:
    assert compute_budget("scripted:x", Settings()) == (32000, 32000 - 4096 - 1600)
    # 32K by default whatever the window (issue 19); `full` is the window minus the reserve and a 5% margin
    assert compute_budget("scripted:x", Settings(context_window=100000, output_reserve=2000)) == (100000, 32000)
    assert compute_budget("scripted:x", Settings(context_window=100000, output_reserve=2000,
                                                 context_budget="full")) == (100000, 93000)
    assert compute_budget("scripted:x", Settings(context_window=100000, context_budget=20000))[1] == 20000
    assert compute_budget("scripted:x", Settings(context_window=100000, context_budget=50000))[1] == 50000
    assert compute_budget("scripted:x", Settings(context_budget=90000))[1] == 26304  # a cap never raises it
    window, budget = compute_budget("openai/gpt-4o", Settings())
    assert window == 128000 and budget == 32000
    assert compute_budget("anthropic/claude-sonnet-4-5", Settings(context_budget="full"))[1] > 180000
    assert compute_budget("openai/no-such-model-xyz", Settings())[0] == 32000
    assert not counts_are_estimates("openai/gpt-4o") and counts_are_estimates("anthropic/claude-sonnet-4-5")


def test_provider_usage_corrects_counts(tmp_path: Path) -> None:
    ctx = ContextManager(root=tmp_path, system_prompt="sys")
    messages = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello there"}]
    raw = ctx.measure(messages, None)
    assert raw == count_messages(messages)
    ctx.observe(AssistantMessage(step=1, content="", input_tokens=raw + 40, cached_tokens=7))
    grown = messages + [{"role": "user", "content": "more words"}]
    assert ctx.count(grown, None) == raw + 40 + count_messages(grown[2:])  # usage + tiktoken for the new part
    assert ctx.last_cached_tokens == 7 and ctx.cached_tokens_total == 7


def test_age_eviction_stubs_in_one_batch(tmp_path: Path) -> None:
    root = repo(tmp_path)
    reads = [[("read_lines", {"path": "big.py", "start": 1 + 100 * k, "end": 100 * (k + 1)})] for k in range(6)]
    session, events = run_session(root, script(*reads), context_budget=14000, keep_turns=2)
    evicted = of(events, "context_evicted")
    assert evicted and all(e["reason"] == "age" for e in evicted)
    first = evicted[0]
    assert first["tokens_after"] < first["tokens_before"] and len(first["call_ids"]) >= 2  # a batch, not one
    stub = first["stubs"][first["call_ids"][0]]
    assert stub.startswith("[evicted: read_lines big.py, ") and stub.endswith(" tokens; call it again if needed]")
    last = session.model.requests[-1]
    tool_texts = [m["content"] for m in last if m["role"] == "tool"]
    assert tool_texts[-1].startswith("big.py lines 501-600")  # the last turns are intact
    assert sum(t.startswith("[evicted:") for t in tool_texts) >= 3
    assert all(not m["content"].startswith("[evicted") for m in session.history if m["role"] == "tool")  # log keeps all
    assert len(evicted) < len(reads) - 2  # batched: fewer eviction events than aged turns


def test_reread_and_edit_evict_by_region(tmp_path: Path) -> None:
    root = repo(tmp_path)
    turns = [
        [("read_lines", {"path": "big.py", "start": 1, "end": 120})],
        [("read_lines", {"path": "other.py", "start": 1, "end": 120})],
        [("read_lines", {"path": "big.py", "start": 100, "end": 220})],  # overlaps the first read
        [("read_lines", {"path": "big.py", "start": 400, "end": 410})],  # no overlap: stays
        [("edit", {"path": "other.py", "old": "w_5 = ", "new": "w_5  = "}), ("run", {"command": "true"})],
        [("read_lines", {"path": "big.py", "start": 250, "end": 399})],  # pushes the view over the threshold
    ]
    session, events = run_session(root, script(*turns), context_budget=11000, keep_turns=10)
    evicted = of(events, "context_evicted")
    reasons = {e["reason"]: e["call_ids"] for e in evicted}
    assert reasons.get("reread") == ["s0c0"] and reasons.get("edited") == ["s1c0"]
    assert "age" not in reasons and "s3c0" not in session.context.evicted
    assert len({e["ts"] for e in evicted}) <= 2  # reread and edited go out together, in one batch


def test_prefix_byte_identical_between_requests(tmp_path: Path) -> None:
    root = repo(tmp_path)
    turns = [[("note", {"text": "fact one", "path": "small.txt"})]] + [
        [("read_lines", {"path": "big.py", "start": 1 + 60 * k, "end": 60 * (k + 1)})] for k in range(8)]
    session, events = run_session(root, script(*turns), context_budget=12000, keep_turns=2)
    requests = session.model.requests
    changed = 0
    for before, after in zip(requests, requests[1:]):
        stable = json.dumps(before[:-1])  # everything but the volatile tail (the scratchpad)
        if json.dumps(after[:len(before) - 1]) != stable:
            changed += 1
        assert after[-1]["content"].startswith("<scratchpad>") and "fact one" in after[-1]["content"]
    assert of(events, "context_evicted")
    assert changed == len({e["ts"] for e in of(events, "context_evicted")})  # only where a batch went out


def test_anthropic_cache_breakpoints(tmp_path: Path) -> None:
    ctx = ContextManager(root=tmp_path, system_prompt="sys", model_name="anthropic/claude-sonnet-4-5")
    pad = Scratchpad(steps=[{"step": "look", "status": "pending"}])
    history = [{"role": "user", "content": "task"}, {"role": "assistant", "content": "ok", "tool_calls": [
        {"id": "a", "type": "function", "function": {"name": "grep", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "found"}]
    view = ctx.view(history, pad)
    mark = {"type": "ephemeral"}
    assert view[0]["content"][0]["cache_control"] == mark  # tools + system
    assert view[1]["content"] == [{"type": "text", "text": "task", "cache_control": mark}]  # the previous request's end
    assert view[3]["cache_control"] == mark and view[2]["content"] == "ok"  # this request's end: a tool result
    assert isinstance(view[-1]["content"], str) and history[1]["content"] == "ok"  # tail unmarked, history intact
    assert "cache_control" not in history[2]
    # A tool-only assistant turn (content None) at the end carries the mark on its last tool call; never over 4.
    history += [{"role": "user", "content": "go on"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "b", "type": "function", "function": {"name": "grep", "arguments": "{}"}},
        {"id": "c", "type": "function", "function": {"name": "grep", "arguments": "{}"}}]}]
    view = ctx.view(history, pad)
    assert view[5]["tool_calls"][-1]["cache_control"] == mark and "cache_control" not in view[5]["tool_calls"][0]
    assert view[4]["content"][0]["cache_control"] == mark and view[5]["content"] is None
    assert json.dumps(view).count('"cache_control"') <= 4
    plain = ContextManager(root=tmp_path, system_prompt="sys", model_name="openai/gpt-4o").view(history, pad)
    assert all(m["content"] is None or isinstance(m["content"], str) for m in plain)
    assert "cache_control" not in json.dumps(plain)  # OpenAI-style providers cache prefixes without marks


def test_cached_tokens_from_provider_usage(tmp_path: Path) -> None:
    from agent.backends.litellm_backend import LiteLLMModel
    from agent.fakes.openai import FakeOpenAIServer
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    root = repo(tmp_path)
    usage = {"prompt_tokens": 1500, "completion_tokens": 5, "total_tokens": 1505,
             "prompt_tokens_details": {"cached_tokens": 1200}}
    steps = [{**step(("grep", {"pattern": "v_1 "}), n=0), "usage": usage},
             {**step(("finish", {"summary": "ok"}), n=1), "usage": usage}]
    with FakeOpenAIServer(steps) as fake:
        model = LiteLLMModel("openai/test-model", api_base=fake.base_url, api_key="k", retries=0)
        session = build_session(Settings(model="openai/test-model", approve="auto", plan=False), root, None, None,
                                "t", model=model)
        result = asyncio.run(run_headless(session, "t", json_mode=True, out=io.StringIO()))
    assert result.status == "finished" and result.cached_tokens == 2400
    ctx = session.context
    assert ctx.last_cached_tokens == 1200 and ctx.cached_tokens_total == 2400 and not ctx.counts_are_estimates
    assert ctx.offset != 0 and ctx.budget == 32000 - 4096 - 1600  # unknown model: the default window


def test_project_instructions(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "AGENTS.md").write_text("Use tabs.\n")
    (root / "CLAUDE.md").write_text("Run make test.\n")
    (root / "pkg" / "AGENTS.md").write_text("pkg rule " * 2000)
    text = project_instructions(root, root / "pkg")
    assert "# AGENTS.md\nUse tabs." in text and "# CLAUDE.md\nRun make test." in text
    assert "# pkg/AGENTS.md\npkg rule" in text and f"cut at {MAX_INSTRUCTIONS} characters" in text
    assert len(text) < 2 * MAX_INSTRUCTIONS
    assert project_instructions(root, root) == project_instructions(root)  # cwd == root: not twice
    assert project_instructions(tmp_path / "nothing") == ""
    ctx = ContextManager(root=root, system_prompt="SYS", instructions=text)
    assert ctx.view([], Scratchpad())[0]["content"].startswith("SYS\n\nProject instructions:\n# AGENTS.md")


def test_scratchpad_stale_pointer_and_never_evicted(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"a.py": "one\ntwo\nthree\nfour\n", "b.py": "x\n"})
    pad = Scratchpad()
    pad.add_fact(root, "two is the bug", "a.py", "f", "2-3")
    pad.add_fact(root, "b is fine", "b.py", None, None)
    assert "STALE" not in pad.render(root)
    (root / "a.py").write_text("one\ntwo\nthree\nfour\nfive\n")  # outside the pointed lines: still fresh
    assert "STALE" not in pad.render(root)
    (root / "a.py").write_text("one\nTWO\nthree\nfour\n")
    lines = pad.render(root).splitlines()
    assert lines[1].endswith("(STALE: file changed since noted)") and "STALE" not in lines[2]
    (root / "b.py").unlink()
    assert pad.render(root).splitlines()[2].endswith("(STALE: file changed since noted)")
    ctx = ContextManager(root=root, system_prompt="s", book=ContextBook(evicted={"x": "[evicted: x]"}))
    view = ctx.view([{"role": "user", "content": "t"}], pad)
    assert view[-1]["content"].startswith("<scratchpad>\nFacts:\n#1 two is the bug [a.py:f L2-3]")
