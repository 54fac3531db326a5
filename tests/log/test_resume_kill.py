"""A real `pith run` killed with SIGKILL mid-command, then resumed: nothing durable lost, the run completes."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from agent.backends.scripted import ScriptedModel
from agent.log.writer import read_log
from agent.core.state import INTERRUPTED
from agent.log.resume import load_session
from conftest import PITH, make_repo, pith_env, run_pith
from tests.frontends.test_replay import call, write_script


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    """Poll until `predicate()` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def kill_marked(marker: str) -> None:
    """Kill the process group of the shell our killed run left behind (found by a unique marker)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and b"bash" in cmdline:
            try:
                os.killpg(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def test_sigkill_mid_session_then_resume(tmp_path: Path, session_dir: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "hello\n"})
    marker = f"pith-kill-test-{uuid.uuid4().hex[:8]}"
    script = write_script(tmp_path / "first.jsonl", [
        {"content": "Write a file.", "tool_calls": [call("k1", "write_file", path="one.txt", content="one\n")]},
        {"content": "Now wait.", "tool_calls": [call("k2", "run", command=f"sleep 30; echo {marker}")]},
        {"content": "Never reached.", "tool_calls": [call("k3", "finish", summary="no")]},
    ])
    proc = subprocess.Popen([PITH, "run", "--no-plan", "--approve", "auto", "-m", f"scripted:{script}", "do it"],
                            cwd=repo, env=pith_env(session_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: any(session_dir.glob("*.jsonl")))
        (log,) = session_dir.glob("*.jsonl")
        wait_for(lambda: '"k2", "name": "run"' in log.read_text() and "auto mode" in log.read_text().split('"k2"')[-1])
        time.sleep(0.5)  # the command is running now
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_marked(marker)
    before = log.read_bytes()
    assert before.endswith(b"\n")
    assert (repo / "one.txt").read_text() == "one\n"

    resume_script = write_script(tmp_path / "second.jsonl", [
        {"content": "The wait was cut off; the file is written.", "tool_calls": [call("k4", "finish", summary="done")]},
    ])
    done = run_pith(["resume", log.stem, "-m", f"scripted:{resume_script}"], repo, session_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "resumed" in done.stdout and "finished" in done.stdout

    after = log.read_bytes()
    assert after.startswith(before)  # every line written before the kill is still there, unchanged
    events = read_log(log).events
    kinds = [e.type for e in events]
    assert kinds.count("session_started") == 2 and kinds[-1] == "session_finished"
    assert events[-1].status == "finished" and events[-1].files_changed == ["one.txt"]
    history = load_session(log, model=ScriptedModel([]), append=False).history
    roles = [(m["role"], m.get("tool_call_id", "")) for m in history]
    assert roles == [("user", ""), ("assistant", ""), ("tool", "k1"), ("assistant", ""), ("tool", "k2"),
                     ("user", ""), ("assistant", ""), ("tool", "k4")]
    assert INTERRUPTED in history[4]["content"]
    assert history[5]["content"] == "Continue."
