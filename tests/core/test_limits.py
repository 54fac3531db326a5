"""Each limit ends `pith run` with its own status and exit code 3, through litellm's HTTP path."""
from __future__ import annotations

import json
import time
from pathlib import Path

from agent.fakes.openai import FakeOpenAIServer
from tests.conftest import jsonl, pith_in_process
from tests.frontends.test_headless import call

GREP = {"content": "", "tool_calls": [call("grep", pattern="def")]}


def result_of(proc) -> dict:
    """The result object (last JSON line)."""
    return jsonl(proc.stdout)[-1]


def test_max_steps(demo_repo: Path, session_dir: Path) -> None:
    with FakeOpenAIServer([dict(GREP) for _ in range(5)]) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "--max-steps", "2", "-m", "openai/fake", "--api-base",
                         server.base_url, "loop"], demo_repo, session_dir)
    result = result_of(proc)
    assert proc.returncode == 3 and result["status"] == "limit_reached" and "max steps (2)" in result["limit"]
    assert result["steps"] == 2 and len(server.requests) == 2


def test_max_cost(demo_repo: Path, session_dir: Path) -> None:
    usage = {"prompt_tokens": 100_000, "completion_tokens": 10, "total_tokens": 100_010}
    with FakeOpenAIServer([{**GREP, "usage": usage} for _ in range(5)]) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "--max-cost", "0.10", "-m", "openai/gpt-4o", "--api-base",
                         server.base_url, "loop"], demo_repo, session_dir)
    result = result_of(proc)
    assert proc.returncode == 3 and "max cost" in result["limit"]
    assert result["cost"] is not None and result["cost"] >= 0.10 and result["steps"] == 1


def test_timeout_cuts_a_running_command(demo_repo: Path, session_dir: Path) -> None:
    script = [{"content": "", "tool_calls": [call("run", command="sleep 30")]}]
    start = time.monotonic()
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "--timeout", "2", "-m", "openai/fake", "--api-base",
                         server.base_url, "wait"], demo_repo, session_dir)
    result = result_of(proc)
    assert proc.returncode == 3 and result["status"] == "limit_reached" and "timeout" in result["limit"]
    assert time.monotonic() - start < 25
    log = jsonl(Path(result["log_path"]).read_text())
    finished = [e for e in log if e.get("type") == "tool_call_finished"]
    assert finished and "stopped: timeout" in finished[-1]["text"]


def test_plan_recorded_and_verify_reminder(demo_repo: Path, session_dir: Path) -> None:
    script = [
        {"content": "", "tool_calls": [call("plan", steps=[{"step": "look", "status": "in_progress"}])]},
        {"content": "", "tool_calls": [call("edit", path="shop/pricing.py", old='"HALF": 50', new='"HALF": 55')]},
        {"content": "", "tool_calls": [call("finish", summary="changed")]},
        {"content": "", "tool_calls": [call("finish", summary="changed; cannot run tests here")]},
    ]
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "--json", "-m", "openai/fake", "--api-base", server.base_url, "t"], demo_repo,
                               session_dir)
    events = jsonl(proc.stdout)
    plan = [e for e in events if e["type"] == "plan_updated"]
    assert plan and plan[0]["steps"][0] == {"step": "look", "status": "in_progress"}
    finishes = [e for e in events if e["type"] == "tool_call_finished" and e["name"] == "finish"]
    assert "have not run anything since the last edit" in finishes[0]["text"] and finishes[1]["text"] == "finished"
    assert proc.returncode == 0 and events[-1]["verified"] is False


def test_context_length_error_compacts_then_succeeds(demo_repo: Path, session_dir: Path) -> None:
    reads = [{"content": "", "tool_calls": [call("read_lines", path=p)]}
             for p in ("shop/cart.py", "shop/pricing.py", "tests/test_cart.py")]
    too_long = {"status": 400, "error": "This model's maximum context length is 8192 tokens. However, your messages "
                                        "resulted in 9000 tokens. Please reduce the length of the messages."}
    summary = {"content": "## Task\nfix the cart\n## Decisions\nread cart, pricing and tests\n## Files changed\nnone"}
    script = [*reads, too_long, summary, {"content": "", "tool_calls": [call("finish", summary="done")]}]
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "-m", "openai/fake", "--api-base", server.base_url, "t"],
                               demo_repo, session_dir)
    events = jsonl(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    compacted = [e for e in events if e["type"] == "context_compacted"]
    assert len(compacted) == 1 and "fix the cart" in compacted[0]["summary"]
    assert events[-1]["compactions"] == 1
    retry = server.requests[-1]["messages"]  # the request after compaction carries the summary, not the old reads
    text = json.dumps(retry)
    assert "fix the cart" in text and "def discount_percent" not in text
