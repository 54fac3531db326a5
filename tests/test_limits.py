"""Each limit ends `pith run` with its own status and exit code 3, through litellm's HTTP path."""
from __future__ import annotations

import time
from pathlib import Path

from agent.fakes import FakeOpenAIServer
from tests.conftest import jsonl, run_pith
from tests.test_headless import call

GREP = {"content": "", "tool_calls": [call("grep", pattern="def")]}


def result_of(proc) -> dict:
    """The result object (last JSON line)."""
    return jsonl(proc.stdout)[-1]


def test_max_steps(demo_repo: Path, session_dir: Path) -> None:
    with FakeOpenAIServer([dict(GREP) for _ in range(5)]) as server:
        proc = run_pith(["run", "--json", "--no-plan", "--max-steps", "2", "-m", "openai/fake", "--api-base",
                         server.base_url, "loop"], demo_repo, session_dir)
    result = result_of(proc)
    assert proc.returncode == 3 and result["status"] == "limit_reached" and "max steps (2)" in result["limit"]
    assert result["steps"] == 2 and len(server.requests) == 2


def test_max_cost(demo_repo: Path, session_dir: Path) -> None:
    usage = {"prompt_tokens": 100_000, "completion_tokens": 10, "total_tokens": 100_010}
    with FakeOpenAIServer([{**GREP, "usage": usage} for _ in range(5)]) as server:
        proc = run_pith(["run", "--json", "--no-plan", "--max-cost", "0.10", "-m", "openai/gpt-4o", "--api-base",
                         server.base_url, "loop"], demo_repo, session_dir)
    result = result_of(proc)
    assert proc.returncode == 3 and "max cost" in result["limit"]
    assert result["cost"] is not None and result["cost"] >= 0.10 and result["steps"] == 1


def test_timeout_cuts_a_running_command(demo_repo: Path, session_dir: Path) -> None:
    script = [{"content": "", "tool_calls": [call("run", command="sleep 30")]}]
    start = time.monotonic()
    with FakeOpenAIServer(script) as server:
        proc = run_pith(["run", "--json", "--no-plan", "--timeout", "2", "-m", "openai/fake", "--api-base",
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
        proc = run_pith(["run", "--json", "-m", "openai/fake", "--api-base", server.base_url, "t"], demo_repo, session_dir)
    events = jsonl(proc.stdout)
    plan = [e for e in events if e["type"] == "plan_updated"]
    assert plan and plan[0]["steps"][0] == {"step": "look", "status": "in_progress"}
    finishes = [e for e in events if e["type"] == "tool_call_finished" and e["name"] == "finish"]
    assert "have not run anything since the last edit" in finishes[0]["text"] and finishes[1]["text"] == "finished"
    assert proc.returncode == 0 and events[-1]["verified"] is False
