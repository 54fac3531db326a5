"""Superseded outputs leave the view early, in one batch, when the batch pays for the cache it breaks; outputs
are capped relative to the budget; the default budget is 32K."""
from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.frontends.headless import run_headless
from agent.compose import build_session
from agent.context.tokens import count_text
from conftest import make_repo

def step(n: int, *calls: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A tool-only assistant turn."""
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"s{n}c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        for i, (name, args) in enumerate(calls)]}


def run(root: Path, turns: list[dict[str, Any]], **settings: Any) -> tuple[Any, list[dict[str, Any]]]:
    """A scripted session; (session, events)."""
    opts = {"approve": "auto", "plan": False, "context_window": 200000, **settings}
    session = build_session(Settings(model="scripted:x", **opts), root, None, None, "task", model=ScriptedModel(turns))
    out = io.StringIO()
    result = asyncio.run(run_headless(session, "fix it", json_mode=True, out=out))
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert result.status == "finished"
    return session, events


def test_rerun_and_retried_outputs_go_in_one_early_batch(tmp_path: Path) -> None:
    check = ("import a\nif a.f() != 3:\n"
             "    print('\\n'.join(f'FAILED case {i}: expected 3, got 1' for i in range(150)))\n"
             "    raise SystemExit(1)\nprint('1 passed')\n")
    root = make_repo(tmp_path / "r", {"a.py": "def f():\n    return 1\n" + "# filler line\n" * 40, "check.py": check})
    turns = [step(0, ("run", {"command": "python3 check.py"})),
             step(1, ("edit", {"path": "a.py", "old": "def f():\n    return 2\n    # nothing like this", "new": "x"})),
             step(2, ("edit", {"path": "a.py", "old": "    return 1\n", "new": "    return 3\n"})),
             step(3, ("run", {"command": "python3  check.py"})),
             step(4, ("finish", {"summary": "done"}))]
    session, events = run(root, turns)
    assert session.context.budget == 32000  # the default, whatever the window
    evicted = [e for e in events if e["type"] == "context_evicted"]
    reasons = {e["reason"]: e["call_ids"] for e in evicted}
    assert reasons.get("rerun") == ["s0c0"] and reasons.get("retried") == ["s1c0"], evicted
    assert evicted[0]["tokens_before"] < 0.75 * 32000  # far from the budget
    last = session.model.requests[-1]
    stubbed = {m["tool_call_id"]: m["content"] for m in last if m.get("role") == "tool"}
    assert stubbed["s0c0"].startswith("[evicted: run") and "1 passed" in stubbed["s3c0"]
    assert stubbed["s1c0"].startswith("[evicted: edit")
    # One batch: the requests before it share their prefix, and so do the ones after it.
    assert len(session.model.requests) == 5


def test_a_stale_output_stays_when_evicting_it_costs_more_than_it_saves(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"big.py": "".join(f"value_{i} = compute({i}, 'alpha beta gamma')\n"
                                                        for i in range(240))})
    reads = [step(k + 1, ("read_lines", {"path": "big.py", "start": 1 + 60 * (k % 4), "end": 60 + 60 * (k % 4)}))
             for k in range(4)]
    turns = [step(0, ("run", {"command": "echo short; seq 1 40"})), *reads,
             step(5, ("run", {"command": "echo short; seq 1 40"})), step(6, ("finish", {"summary": "done"}))]
    _, events = run(root, turns)
    # The first run is superseded, but ~3,000 tokens of reads after it would have to be re-cached to drop ~60.
    assert not [e for e in events if e["type"] == "context_evicted"]


def test_outputs_are_capped_relative_to_the_budget(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"x.txt": "x\n"})
    huge = "python3 -c \"print('\\n'.join('word ' * 12 for i in range(2000)))\""
    _, events = run(root, [step(0, ("run", {"command": huge})), step(1, ("finish", {"summary": "done"}))],
                    context_budget=6000)
    text = next(e["text"] for e in events if e["type"] == "tool_call_finished" and e["name"] == "run")
    assert count_text(text) <= 0.2 * 6000 + 60 and "cut" in text and "context budget" in text


def test_default_budget_is_32k_for_a_large_window(tmp_path: Path) -> None:
    from agent.context.compaction import attach

    root = make_repo(tmp_path / "r", {"x.txt": "x\n"})
    session = build_session(Settings(model="scripted:x", context_window=200000), root, None, None, "task",
                            model=ScriptedModel([]))
    assert attach(session).budget == 32000
    session.settings.context_budget = "full"
    session.context.budget = 0
    assert attach(session).budget == 200000 - 4096 - 10000


def test_an_evicted_write_drops_its_content_from_the_view(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"x.txt": "x\n"})
    body = "".join(f"def check_{k}(view):\n    return len(view) > {k}  # invariant {k}\n" for k in range(120))
    reads = [step(k + 1, ("run", {"command": f"seq 1 {300 + k}"})) for k in range(6)]
    turns = [step(0, ("write_file", {"path": "gen.py", "content": body})), *reads,
             step(9, ("finish", {"summary": "d"}))]
    session, events = run(root, turns, context_budget=7000, keep_turns=2)
    assert any("s0c0" in e["call_ids"] for e in events if e["type"] == "context_evicted")
    last = json.dumps(session.model.requests[-1])
    assert "invariant 7" not in last and "lines, written to the file" in last
    assert "invariant 7" in json.dumps(session.history)  # the history (and the log) keep it
    args = json.loads(next(c["function"]["arguments"] for m in session.model.requests[-1] if m.get("tool_calls")
                           for c in m["tool_calls"] if c["id"] == "s0c0"))
    assert args["path"] == "gen.py" and args["content"].startswith("[241 lines")
