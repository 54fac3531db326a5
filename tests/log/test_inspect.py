"""`pith inspect`: the request of every step rebuilt from the log equals what the fake server received, byte for byte."""
from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.fakes.openai import FakeOpenAIServer
from agent.log.inspector import REGIONS, request_at, requests
from agent.log.writer import read_log
from agent.context.tokens import count_messages
from conftest import make_repo

SUMMARY = "## Task\nread the module\n## Decisions\nnone yet\n## Files changed\nnone\n## Open questions\nnone"


def call(name: str, **args: object) -> dict[str, Any]:
    """A tool call in the fake server's script format."""
    return {"function": {"name": name, "arguments": args}}


def script() -> list[dict[str, Any]]:
    """Reads of a long file (evicted as they age), a note, a plan, long replies (compacted), then finish."""
    steps: list[dict[str, Any]] = [{"content": "Plan.", "tool_calls": [
        call("plan", steps=[{"step": "read the module", "status": "in_progress"}, {"step": "finish"}])]}]
    for n in range(12):
        calls = [call("read_lines", path="big.py", start=1 + 30 * n, end=30 + 30 * n)]
        if n == 2:
            calls.append(call("note", text="FACT-A: values grow by one per line"))
        steps.append({"content": f"Reading part {n}. " + "Careful reasoning about what this part shows. " * 12,
                      "tool_calls": calls})
    steps.append({"content": "", "tool_calls": [call("finish", summary="read it all")]})
    return steps


def big_repo(tmp_path: Path) -> Path:
    """A repository with one 300-line module."""
    body = "".join(f"def value_{i}() -> int:\n    return {i}  # line {i} of a long module\n" for i in range(150))
    return make_repo(tmp_path / "repo", {"big.py": body, "AGENTS.md": "Run tests with pytest.\n"})


def run_live(repo: Path, session_dir: Path, base_url: str) -> Path:
    """One headless session through litellm's HTTP path against the fake server; the log's path."""
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    settings = Settings(model="openai/fake-model", api_base=base_url, approve="auto", plan=False,
                        context_budget=4400, keep_turns=2, max_steps=30)
    session = build_session(settings, repo, None, session_dir, "read big.py")
    session.compact_model = ScriptedModel([{"content": SUMMARY}] * 5, name="summariser")
    result = asyncio.run(run_headless(session, "read big.py", out=io.StringIO()))
    assert result.status == "finished", result
    return Path(result.log_path)


def test_inspect_equals_recorded_requests(tmp_path: Path, session_dir: Path, monkeypatch: Any) -> None:
    repo = big_repo(tmp_path)
    monkeypatch.chdir(repo)
    with FakeOpenAIServer(script()) as server:
        log = run_live(repo, session_dir, server.base_url)
    loaded = read_log(log)
    kinds = [e.type for e in loaded.events]
    assert "context_evicted" in kinds and "context_compacted" in kinds
    rebuilt = requests(loaded)
    assert len(rebuilt) == len(server.requests) == len(script())
    for (request, _), sent in zip(rebuilt, server.requests):
        assert json.dumps(request.messages) == json.dumps(sent["messages"]), request.step
        assert json.dumps(request.tools) == json.dumps(sent["tools"]), request.step
        assert request.total == count_messages(request.messages, request.tools)
    one = request_at(loaded, 7)
    assert json.dumps(one.messages) == json.dumps(server.requests[6]["messages"])
    assert set(one.regions) == set(REGIONS) and one.regions["tools"] > 500 and one.regions["instructions"] > 0
    assert any(r.regions["stubs"] > 0 for r, _ in rebuilt) and any(r.regions["summary"] > 0 for r, _ in rebuilt)


GOLDEN = Path(__file__).parents[1] / "golden" / "long_session.jsonl"


def test_golden_step_breakdown_and_next_request() -> None:
    loaded = read_log(GOLDEN)
    request = request_at(loaded, 40)
    assert request.step == 40 and request.model == "scripted:golden" and request.budget == 9000
    assert request.total == count_messages(request.messages, request.tools)
    assert request.regions["summary"] > 0 and request.regions["stubs"] > 0 and request.regions["scratchpad"] > 0
    assert request.messages[1]["content"].startswith("Summary of earlier work")
    assert request.messages[-1]["content"].startswith("<scratchpad>") and "FACT-05" in request.messages[-1]["content"]
    assert request.provider["output_tokens"] == 40 and request.provider["cache_read_tokens"] == 0
    assert request.evicted == sum(1 for m in request.messages if str(m.get("content", "")).startswith("[evicted:"))
    following = request_at(loaded)  # the request the session would send next
    assert following.step == 101 and following.messages[-2]["role"] == "tool"


def test_golden_compaction_view() -> None:
    from agent.log.inspector import InspectError, compaction_at

    loaded = read_log(GOLDEN)
    first = compaction_at(loaded, 1)
    assert first.step == 24 and first.turns[0] == {"role": "user", "text": "Map how inventory computes stock levels.",
                                                   "tokens": first.turns[0]["tokens"], "evicted": False}
    assert first.dropped_tokens > first.summary_tokens > 0 and any(t["evicted"] for t in first.turns)
    assert [f["text"][:7] for f in first.facts] == ["FACT-01", "FACT-02", "FACT-03"]
    after = request_at(loaded, first.step)
    assert all(f["text"] in after.messages[-1]["content"] for f in first.facts)  # kept verbatim in the tail
    assert first.event.summary in after.messages[1]["content"]
    second = compaction_at(loaded, 2)
    assert second.turns[0]["text"].startswith("Step ") and second.step > first.step
    for bad in (0, 6):
        with pytest.raises(InspectError, match="this session has 5"):
            compaction_at(loaded, bad)


def test_inspect_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli.app import app, register_all

    register_all()
    runner = CliRunner()
    out = runner.invoke(app, ["inspect", str(GOLDEN), "--step", "3", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["step"] == 3 and data["request"]["messages"] == request_at(read_log(GOLDEN), 3).messages
    assert data["tokens"]["total"] == sum(v for k, v in data["tokens"].items() if k != "total")
    text = runner.invoke(app, ["inspect", str(GOLDEN), "--step", "30"]).output
    assert "step 30 of 100" in text and "compaction summary" in text and "[evicted:" in text
    shown = runner.invoke(app, ["inspect", str(GOLDEN), "--compaction", "1"]).output
    assert "compaction 1 (before step 24)" in shown and "Summary it wrote:" in shown and "#1 FACT-01" in shown
    for args, message in ((["--step", "0"], "no step 0"), (["--compaction", "9"], "no compaction 9"),
                          (["--step", "2", "--compaction", "1"], "not both")):
        bad = runner.invoke(app, ["inspect", str(GOLDEN), *args])
        assert bad.exit_code == 2 and message in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["inspect", "nope", "--session-dir", str(tmp_path)])
    assert missing.exit_code == 2 and "no session" in missing.output


def test_inspect_equals_what_an_anthropic_model_was_handed(tmp_path: Path, session_dir: Path, monkeypatch: Any) -> None:
    """Cache breakpoints (Anthropic) are part of the rebuilt request: compare with what the model received."""
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    repo = big_repo(tmp_path)
    monkeypatch.chdir(repo)
    turns = [{"role": "assistant", **step} for step in script()]
    model = ScriptedModel(turns, name="anthropic/claude-sonnet-4-5")
    settings = Settings(model="anthropic/claude-sonnet-4-5", approve="auto", plan=False, context_budget=4400,
                        keep_turns=2, max_steps=30)
    session = build_session(settings, repo, None, session_dir, "read big.py", model=model)
    session.compact_model = ScriptedModel([{"content": SUMMARY}] * 5, name="summariser")
    result = asyncio.run(run_headless(session, "read big.py", out=io.StringIO()))
    assert result.status == "finished"
    loaded = read_log(Path(result.log_path))
    assert {"context_evicted", "context_compacted"} <= {e.type for e in loaded.events}
    rebuilt = requests(loaded)
    assert len(rebuilt) == len(model.requests)
    marked = 0
    for (request, _), sent in zip(rebuilt, model.requests):
        assert json.dumps(request.messages) == json.dumps(sent), request.step
        marked += json.dumps(sent).count("cache_control")
    assert marked > len(rebuilt)  # breakpoints were there to rebuild
