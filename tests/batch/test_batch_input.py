"""`pith batch` bad input (exit 2, line numbers), the task parser, and the shared rate-limit gate."""
from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import pytest

from agent.batch.gate import FileGate, retry_delay
from agent.batch.job import JobOptions, read_events, run_task
from agent.batch.tasks import TaskFileError, load_tasks
from agent.fakes.openai import FakeOpenAIServer
from tests.conftest import git, make_repo
from tests.batch.test_batch_support import results, run_batch_cli, turn, worktree_count


def write(tmp: Path, *lines: str) -> Path:
    """A tasks file with these raw lines."""
    path = tmp / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = '{"id": "t1", "repo": ".", "task": "fix it"}'


@pytest.mark.parametrize("line, message", [
    ('{"id": "t2", "repo": ".", "task": "x"', "tasks.jsonl:2: not valid JSON"),
    ('{"id": "t2", "task": "x"}', "tasks.jsonl:2: missing field: repo"),
    ('{"repo": "."}', "tasks.jsonl:2: missing fields: id, task"),
    ('{"id": "t1", "repo": ".", "task": "again"}', "tasks.jsonl:2: duplicate id 't1' (first on line 1)"),
    ('{"id": "a/b", "repo": ".", "task": "x"}', "tasks.jsonl:2: id 'a/b' must be letters"),
    ('{"id": "t2", "repo": ".", "task": "x", "tset": "pytest"}', "tasks.jsonl:2: unknown field: tset"),
    ('{"id": "t2", "repo": ".", "task": 5}', "tasks.jsonl:2: field 'task' must be a string"),
    ('{"id": "t2", "repo": ".", "task": "  "}', "tasks.jsonl:2: field 'task' is empty"),
    ('["t2"]', "tasks.jsonl:2: each line must be a JSON object"),
])
def test_bad_line_exits_2_with_line_number(tmp_path: Path, line: str, message: str) -> None:
    tasks = write(tmp_path, GOOD, line)
    proc = run_batch_cli(tasks, tmp_path / "out")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing ran


def test_every_bad_line_reported_at_once(tmp_path: Path) -> None:
    tasks = write(tmp_path, GOOD, "{oops", "", "# a comment", '{"id": "t1", "repo": ".", "task": "x"}', '{"id": 3}')
    with pytest.raises(TaskFileError) as err:
        load_tasks(tasks)
    text = str(err.value)
    assert ":2: not valid JSON" in text and ":5: duplicate id" in text and ":6: missing fields: repo, task" in text


def test_empty_missing_file_and_bad_flags(tmp_path: Path) -> None:
    assert "no tasks" in run_batch_cli(write(tmp_path, "", "# nothing"), tmp_path / "o").stderr
    missing = run_batch_cli(tmp_path / "nope.jsonl", tmp_path / "o")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    tasks = write(tmp_path, GOOD)
    assert "nobody is there" in run_batch_cli(tasks, tmp_path / "o", "--approve", "ask").stderr
    assert "--workers must be at least 1" in run_batch_cli(tasks, tmp_path / "o", "--workers", "0").stderr


def test_paths_relative_to_tasks_file_and_urls_kept(tmp_path: Path) -> None:
    tasks = write(tmp_path, GOOD, '{"id": "u", "repo": "https://example.invalid/r.git", "task": "x", "commit": "v1"}',
                  '{"id": "s", "repo": "git@example.invalid:o/r.git", "task": "x"}')
    got = load_tasks(tasks)
    assert got[0].repo == str(tmp_path) and not got[0].is_url and got[0].line == 1
    assert got[1].is_url and got[1].commit == "v1" and got[2].is_url


def test_retry_notice_parsing() -> None:
    notice = {"type": "notice", "text": "rate_limit from provider; retry 1/4 in 2.5s", "level": "warning"}
    assert retry_delay(notice) == 2.5
    assert retry_delay({"type": "notice", "text": "server_error from provider; retry 1/4 in 2.0s"}) is None
    assert retry_delay({"type": "error", "text": "rate_limit ... retry 1/4 in 2.0s"}) is None
    assert retry_delay({**notice, "text": "rate_limit from provider; retry 1/4 in 9999s"}) == 600.0


def test_gate_holds_and_waits(tmp_path: Path) -> None:
    gate = FileGate(tmp_path / "gate")
    assert gate.wait() == 0.0
    gate.hold(5)
    gate.hold(1)  # a shorter hold never shortens the gate
    assert gate.until() - time.time() > 4
    slept: list[float] = []
    gate.path.write_text(f"{time.time() + 0.3:.3f}")
    gate.wait(sleep=lambda s: (slept.append(s), time.sleep(s)))
    assert slept and time.time() >= gate.until()
    stream = io.StringIO(json.dumps({"type": "notice", "text": "rate_limit from provider; retry 1/4 in 3.0s"}) + "\n"
                         + "not json\n" + json.dumps({"type": "result", "status": "finished"}) + "\n")
    result, notices = read_events(stream, gate)
    assert result == {"type": "result", "status": "finished"} and notices == 1
    assert gate.until() - time.time() > 2


def test_new_task_waits_at_the_gate(tmp_path: Path) -> None:
    opts = JobOptions(out_dir=str(tmp_path / "out"), model="scripted:none")
    FileGate(tmp_path / "out" / "rate_gate").hold(1.2)
    held_until = FileGate(tmp_path / "out" / "rate_gate").until()
    record = run_task({"id": "x", "repo": str(tmp_path / "nowhere"), "task": "t"}, opts.to_dict())
    assert record["status"] == "error" and record["started_at"] >= held_until - 0.01


def test_rate_limited_task_holds_the_gate(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    script = [{"status": 429, "error": "slow down", "headers": {"Retry-After": "1"}},
              {"content": "", "tool_calls": [{"function": {"name": "finish", "arguments": {"summary": "ok"}}}]}]
    tasks = write(tmp_path, json.dumps({"id": "rl", "repo": str(repo), "task": "noop", "model": "openai/fake"}))
    with FakeOpenAIServer(script) as server:
        start = time.time()
        proc = run_batch_cli(tasks, tmp_path / "out", "--api-base", server.base_url, "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    record = results(tmp_path / "out")["rl"]
    assert record["status"] == "solved" and record["rate_limit_notices"] == 1
    assert FileGate(tmp_path / "out" / "rate_gate").until() > start + 1


def test_git_url_is_cloned_at_the_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.py").write_text("x = 2\n")
    git(repo, "commit", "-qam", "second")
    check = f"{sys.executable} -c 'import a; assert a.x == 1'"
    tasks = write(tmp_path, json.dumps({"id": "url", "repo": f"file://{repo}", "commit": first[:10], "task": "noop",
                                        "test": check, "model": "scripted:" + str(script(tmp_path))}))
    proc = run_batch_cli(tasks, tmp_path / "out", "--workers", "1")
    record = results(tmp_path / "out")["url"]
    assert proc.returncode == 0 and record["status"] == "solved" and record["commit"] == first, proc.stderr
    assert list((tmp_path / "out" / "work").iterdir()) == [] and worktree_count(repo) == 1


def script(tmp: Path) -> Path:
    """A one-turn script that finishes."""
    path = tmp / "finish.jsonl"
    path.write_text(json.dumps(turn(("finish", {"summary": "nothing to do"}))) + "\n")
    return path
