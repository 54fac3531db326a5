"""One batch task, start to end: checkout, `pith run --json` in its own process group, diff, test, clean up.

`run_task` takes and returns plain data so the same function runs in a local thread pool or as a Ray task.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from agent.batch.gate import FileGate, retry_delay
from agent.batch.tasks import BatchTask
from agent.batch.worktree import Checkout, CheckoutError, diff, prepare, remove
from agent.settings.load import provider_of

LAUNCH = "import sys; sys.argv[0] = 'pith'; from agent.cli.app import main; main()"
SOLVED_AGENT = ("finished", "answered")
KILL_GRACE = 3.0


@dataclass
class JobOptions:
    """Batch-wide settings every task gets (a task's own `model` overrides `model`)."""

    out_dir: str
    model: str
    api_base: str | None = None
    max_steps: int = 50
    max_cost: float | None = None
    timeout: float | None = None
    approve: str = "auto"
    task_timeout: float = 1800.0
    no_plan: bool = False
    api_base_for: str | None = None  # the provider an api_base from a config file is for (None: every model)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for Ray)."""
        return asdict(self)


class Tracker:
    """The agent processes running now, so the driver can stop them all on Ctrl-C."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[str]] = set()
        self.cancelled = False

    def add(self, proc: subprocess.Popen[str]) -> None:
        """Track a started process (killed at once if the batch was already cancelled)."""
        with self.lock:
            self.procs.add(proc)
            cancelled = self.cancelled
        if cancelled:
            stop_group(proc, grace=0)

    def discard(self, proc: subprocess.Popen[str]) -> None:
        """Forget a finished process."""
        with self.lock:
            self.procs.discard(proc)

    def cancel(self) -> None:
        """Stop every tracked process group."""
        with self.lock:
            self.cancelled = True
            procs = list(self.procs)
        for proc in procs:
            threading.Thread(target=stop_group, args=(proc,), daemon=True).start()


def stop_group(proc: subprocess.Popen[str], grace: float = KILL_GRACE) -> None:
    """SIGTERM the process group (pith interrupts its tools), then SIGKILL what is left after `grace`."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 0.0)):
        if proc.poll() is not None and sig == signal.SIGKILL:
            break
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait) if wait else None
        except subprocess.TimeoutExpired:
            pass


def agent_command(task: BatchTask, opts: JobOptions) -> list[str]:
    """The `pith run --json` command line for one task."""
    cmd = [sys.executable, "-c", LAUNCH, "run", "--json", "--model", task.model or opts.model,
           "--max-steps", str(opts.max_steps), "--approve", opts.approve,
           "--session-dir", str(Path(opts.out_dir) / "sessions")]
    if opts.api_base and (opts.api_base_for is None or provider_of(task.model or opts.model) == opts.api_base_for):
        cmd += ["--api-base", opts.api_base]  # a config's api_base only for its provider's models: keys stay home
    if opts.max_cost is not None:
        cmd += ["--max-cost", str(opts.max_cost)]
    if opts.timeout is not None:
        cmd += ["--timeout", str(opts.timeout)]
    if opts.no_plan:
        cmd.append("--no-plan")
    return [*cmd, "--", task.task]


def read_events(stream: IO[str], gate: FileGate) -> tuple[dict[str, Any] | None, int]:
    """(the final result event, rate-limit notices seen), holding the gate for each notice's delay."""
    result, notices = None, 0
    for line in stream:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(event, dict):
            continue
        if event.get("type") == "result":
            result = event
        delay = retry_delay(event)
        if delay is not None:
            notices += 1
            gate.hold(delay)
    return result, notices


def run_agent(task: BatchTask, opts: JobOptions, cwd: Path, tracker: Tracker | None) -> dict[str, Any]:
    """Run the agent process under a wall-clock limit; returns exit code, result event and whether it timed out."""
    out = Path(opts.out_dir)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if not task.is_url:  # the checkout shares the source repository's trust while its pith config is unchanged
        env["PITH_TRUST_AS"] = str(Path(task.repo).resolve())
    expired = threading.Event()
    with open(out / "logs" / f"{task.id}.stderr", "w", encoding="utf-8") as err:
        proc = subprocess.Popen(agent_command(task, opts), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err, text=True, start_new_session=True, env=env)
        if tracker:
            tracker.add(proc)
        timer = threading.Timer(opts.task_timeout, lambda: (expired.set(), stop_group(proc)))
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            result, notices = read_events(proc.stdout, FileGate(out / "rate_gate"))
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                stop_group(proc, grace=0)
            if tracker:
                tracker.discard(proc)
    return {"exit_code": code, "result": result, "timed_out": expired.is_set(), "rate_limit_notices": notices}


def run_test(command: str, cwd: Path, log: Path, timeout: float) -> int | None:
    """The task's test command in the checkout: its exit code, or None when it ran past `timeout`."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, shell=True, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(proc, grace=0)  # type: ignore[arg-type]
            return None
        finally:
            if proc.poll() is None:
                stop_group(proc, grace=0)  # type: ignore[arg-type]


def classify(task: BatchTask, agent: dict[str, Any], test_exit: int | None) -> str:
    """The task's batch status from how the agent process ended and what the test said."""
    result = agent["result"]
    if agent["timed_out"]:
        return "timeout"
    if result is None or result.get("status") == "interrupted":
        return "crashed"
    if result.get("status") == "model_error":
        return "error"
    if task.test is not None:
        if test_exit == 0:
            return "solved"
    elif result.get("status") in SOLVED_AGENT:
        return "solved"
    return "limit_reached" if result.get("status") == "limit_reached" else "failed"


def agent_fields(agent: dict[str, Any]) -> dict[str, Any]:
    """What the record keeps from the agent's final result event."""
    result = agent["result"] or {}
    return {
        "agent_status": result.get("status"), "exit_code": agent["exit_code"], "steps": result.get("steps", 0),
        "input_tokens": result.get("input_tokens", 0), "output_tokens": result.get("output_tokens", 0),
        "cached_tokens": result.get("cached_tokens", 0), "cost": result.get("cost"),
        "session_log": result.get("log_path") or None, "files_changed": result.get("files_changed", []),
        "agent_verified": result.get("verified", False), "limit": result.get("limit") or None,
        "rate_limit_notices": agent["rate_limit_notices"],
    }


def new_record(task: BatchTask, opts: JobOptions) -> dict[str, Any]:
    """A record with every field present, before anything ran."""
    return {
        "id": task.id, "status": "error", "verified": None, "agent_status": None, "exit_code": None, "steps": 0,
        "input_tokens": 0, "output_tokens": 0, "cached_tokens": 0, "cost": None, "wall_time": 0.0,
        "session_log": None, "patch": None, "files_changed": [], "test_exit": None, "error": None,
        "repo": task.repo, "commit": task.commit, "model": task.model or opts.model, "started_at": None,
    }


def execute(task: BatchTask, opts: JobOptions, record: dict[str, Any], tracker: Tracker | None) -> Checkout | None:
    """Check out, run the agent, take the diff, run the test; fills `record` and returns the checkout made."""
    out = Path(opts.out_dir)
    checkout = prepare(task.repo, task.is_url, task.commit, out / "work" / task.id)
    record["commit"] = checkout.base
    agent = run_agent(task, opts, checkout.path, tracker)
    record.update(agent_fields(agent))
    record["patch_text"] = diff(checkout)
    test_exit = None
    if task.test is not None and not agent["timed_out"] and agent["result"] is not None:
        test_exit = run_test(task.test, checkout.path, out / "logs" / f"{task.id}.test.log", opts.task_timeout)
        record["test_exit"] = test_exit
        record["verified"] = test_exit == 0
    record["status"] = classify(task, agent, test_exit)
    if record["status"] == "crashed":
        record["error"] = stderr_tail(out / "logs" / f"{task.id}.stderr")
    return checkout


def stderr_tail(path: Path, limit: int = 600) -> str:
    """The end of a task's stderr, for the record of a crash."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return text[-limit:] or f"no result from the agent; see {path}"


def run_task(task_data: dict[str, Any], opts_data: dict[str, Any], tracker: Tracker | None = None) -> dict[str, Any]:
    """Run one task and return its record (with `patch_text`; the driver writes the patch file)."""
    task, opts = BatchTask(**task_data), JobOptions(**opts_data)
    out = Path(opts.out_dir)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    record = new_record(task, opts)
    FileGate(out / "rate_gate").wait()
    started = time.time()
    record["started_at"] = round(started, 3)
    checkout = None
    try:
        checkout = execute(task, opts, record, tracker)
    except CheckoutError as exc:
        record["status"], record["error"] = "error", str(exc)
    except Exception as exc:  # a bug here must not stop the other tasks
        record["status"], record["error"] = "crashed", f"{type(exc).__name__}: {exc}"
    finally:
        remove(checkout.path if checkout else out / "work" / task.id)
        record["wall_time"] = round(time.time() - started, 3)
    return record
