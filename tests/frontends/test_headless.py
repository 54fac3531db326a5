"""End to end: `pith run` against the fake OpenAI server through litellm's real HTTP path."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agent.fakes.openai import FakeOpenAIServer
from tests.conftest import jsonl, pith_in_process, run_pith


def call(name: str, **args: object) -> dict:
    """A tool call in the fake server's script format."""
    return {"function": {"name": name, "arguments": args}}


FIX_SCRIPT = [
    {"content": "Plan first.", "tool_calls": [
        call("plan", steps=[{"step": "Find how total applies the discount", "status": "in_progress"},
                            {"step": "Fix and run the tests"}]),
        call("grep", pattern="def total", glob="*.py")]},
    {"content": "", "tool_calls": [call("read_symbol", symbol="shop/cart.py:Cart.total")]},
    {"content": "The percent is subtracted as money.", "tool_calls": [
        call("edit", path="shop/cart.py", old="return round_cents(subtotal - percent)",
             new="return round_cents(subtotal * (100 - percent) / 100)")]},
    {"content": "", "tool_calls": [call("run", command=f"{sys.executable} -m unittest -q tests.test_cart")]},
    {"content": "Done.", "tool_calls": [call("finish", summary="Applied the discount as a percentage; tests pass.")]},
]


def test_run_json_fixes_bug_through_litellm(demo_repo: Path, session_dir: Path) -> None:
    with FakeOpenAIServer([dict(s) for s in FIX_SCRIPT]) as server:
        proc = run_pith(["run", "--json", "--model", "openai/fake-model", "--api-base", server.base_url,
                         "test_total_with_discount fails, fix it"], demo_repo, session_dir)
    assert proc.returncode == 0, proc.stderr
    events = jsonl(proc.stdout)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "session_started" and kinds[-1] == "result"
    assert kinds.count("assistant_message") == 5
    assert "file_edited" in kinds and "plan_updated" in kinds
    result = events[-1]
    assert result["status"] == "finished" and result["verified"] is True
    assert result["files_changed"] == ["shop/cart.py"] and result["steps"] == 5
    assert result["input_tokens"] > 0 and result["cost"] is None  # a local/unknown model: cost unknown
    # The repo's own test passes now.
    check = subprocess.run([sys.executable, "-m", "unittest", "-q", "tests.test_cart"], cwd=demo_repo,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # The model saw tool results: the 3rd request carries the read_symbol output.
    third = server.requests[2]["messages"]
    assert any(m["role"] == "tool" and "def total" in (m.get("content") or "") for m in third)
    assert "tools" in server.requests[0] and server.requests[0]["stream"] is True
    # The log is on disk with a header and the same durable events.
    log = Path(result["log_path"])
    lines = jsonl(log.read_text())
    assert lines[0]["pith_log"] == 1 and lines[0]["git_head"] and lines[0]["model"] == "openai/fake-model"
    assert [x["type"] for x in lines[1:]] == kinds[:-1]


def test_retry_after_500_then_success(demo_repo: Path, session_dir: Path) -> None:
    script = [{"status": 500, "error": "overloaded"}, {"status": 503, "error": "busy", "headers": {"Retry-After": "0"}},
              {"content": "", "tool_calls": [call("finish", summary="nothing to do")]}]
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "-m", "openai/fake", "--api-base", server.base_url,
                                "noop"], demo_repo, session_dir, PITH_BACKOFF="0.05")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    notices = [e for e in jsonl(proc.stdout) if e["type"] == "notice"]
    assert len(notices) == 2 and "retry 1/" in notices[0]["text"]
    assert len(server.requests) == 3


def test_401_exits_4_without_traceback(demo_repo: Path, session_dir: Path) -> None:
    with FakeOpenAIServer([{"status": 401, "error": "invalid api key"}]) as server:
        proc = pith_in_process(["run", "-m", "openai/fake", "--api-base", server.base_url, "fix it"], demo_repo,
                               session_dir)
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "auth" in proc.stdout and "model_error" in proc.stdout
    assert len(server.requests) == 1  # auth errors are not retried


def test_malformed_tool_calls_become_observations(demo_repo: Path, session_dir: Path) -> None:
    script = [
        {"content": "", "tool_calls": [{"function": {"name": "grep", "arguments": "{not json"}}]},
        {"content": "", "tool_calls": [call("teleport", where="moon")]},
        {"content": "", "tool_calls": [call("read_lines")]},
        {"content": "", "tool_calls": [call("finish", summary="gave up")]},
    ]
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "-m", "openai/fake", "--api-base", server.base_url, "x"],
                               demo_repo, session_dir)
    results = [e for e in jsonl(proc.stdout) if e["type"] == "tool_call_finished"]
    assert "not valid JSON" in results[0]["text"] and results[0]["is_error"]
    assert "unknown tool 'teleport'" in results[1]["text"] and "read_symbol" in results[1]["text"]
    assert "path" in results[2]["text"] and "Field required" in results[2]["text"]
    assert proc.returncode == 0
    tool_msgs = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert "not valid JSON" in tool_msgs[0]["content"]


def test_usage_errors_exit_2(demo_repo: Path, session_dir: Path) -> None:
    empty = pith_in_process(["run", "   "], demo_repo, session_dir)
    assert empty.returncode == 2 and "empty task" in empty.stderr
    stdin_empty = pith_in_process(["run", "-"], demo_repo, session_dir, stdin="")
    assert stdin_empty.returncode == 2
    bad_model = pith_in_process(["run", "-m", "nonsense-model-xyz", "fix"], demo_repo, session_dir)
    assert bad_model.returncode == 2 and "unknown model" in bad_model.stderr
    no_key = pith_in_process(["run", "-m", "anthropic/claude-sonnet-4-5", "fix"], demo_repo, session_dir,
                             ANTHROPIC_API_KEY="")
    assert no_key.returncode == 2 and "ANTHROPIC_API_KEY" in no_key.stderr
    for proc in (empty, stdin_empty, bad_model, no_key):
        assert "Traceback" not in proc.stderr


def test_unreachable_api_base_exits_4(demo_repo: Path, session_dir: Path) -> None:
    proc = pith_in_process(["run", "-m", "openai/fake", "--api-base", "http://127.0.0.1:9/v1", "fix"], demo_repo,
                           session_dir, PITH_RETRIES="0")
    assert proc.returncode == 4
    assert "connection" in proc.stdout and "Traceback" not in proc.stderr


def test_task_from_stdin_and_not_a_git_repo(tmp_path: Path, session_dir: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    script = [{"content": "", "tool_calls": [call("read_lines", path="notes.txt")]},
              {"content": "", "tool_calls": [call("finish", summary="read it")]}]
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "-", "--json", "--no-plan", "-m", "openai/fake", "--api-base", server.base_url],
                               tmp_path, session_dir, stdin="read the notes\n")
    assert proc.returncode == 0
    assert "not a git repository" in proc.stderr and "undo" in proc.stderr
    assert server.requests[0]["messages"][1]["content"] == "read the notes"


def test_ctrl_c_exits_130_with_complete_log(demo_repo: Path, session_dir: Path, tmp_path: Path) -> None:
    import json
    import signal
    import time

    from tests.conftest import PITH, pith_env

    # The scripted model: the process under test starts in well under a second (no litellm import to wait for).
    script = tmp_path / "script.jsonl"
    script.write_text(json.dumps({"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "run", "arguments": '{"command": "sleep 30"}'}}]}) + "\n")
    proc = subprocess.Popen([PITH, "run", "--json", "--no-plan", "-m", f"scripted:{script}", "wait"], cwd=demo_repo,
                            env=pith_env(session_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = list(session_dir.glob("*.jsonl"))
        if logs and "tool_call_started" in logs[0].read_text():
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    from agent.log.writer import read_log

    loaded = read_log(logs[0])
    assert loaded.note == "" and loaded.events[-1].type == "session_finished"
    assert loaded.events[-1].status == "interrupted"
