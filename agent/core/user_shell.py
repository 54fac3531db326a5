"""`!command`: the user's own shell command, run through the `run` tool (same sandbox and deny rules, no dialog)."""
from __future__ import annotations

import asyncio
import time
import uuid

from agent.core.approval import dangerous
from agent.core.events import Notice, ShellRan, ShellStarted
from agent.core.host import SessionHost
from agent.core.toolcalls import call_context
from tools.base import Approval, ToolError
from tools.shell import RunTool, command_pattern


def for_model(command: str, output: str) -> str:
    """How a user command's output reads in the next user message."""
    return f"[the user ran `{command}` in the repository; its output]\n{output.rstrip()}"


async def _permitted(session: SessionHost, command: str) -> str:
    """'' when the user's command may run, else why not: deny rules and never mode hold, destructive ones ask."""
    pattern = command_pattern(command)
    decision, reason = session.policy.decide("run", Approval(kind="command", summary=command, pattern=pattern))
    if decision == "deny":
        return reason
    why = dangerous(command)
    if decision == "ask" and why:  # a destructive command still gets a second look, even when the user typed it
        if not session.settings.interactive:
            return f"destructive command ({why}) and no one can confirm it here"
        answer = await session.request_approval("run", "command", command, pattern, detail=f"destructive: {why}")
        if answer.decision not in ("allow", "always"):
            return "not confirmed" + (f": {answer.reason}" if answer.reason else "")
    return ""


async def run_user_command(session: SessionHost, command: str) -> None:
    """Run the command, show its output (ShellRan) and keep it for the model's next message."""
    start = time.monotonic()
    tool = session.tools.get("run") or RunTool()
    call_id = f"shell-{uuid.uuid4().hex[:8]}"
    partial: list[str] = []
    try:
        refusal = await _permitted(session, command)
        if refusal:
            session.emit(Notice(text=f"!{command}: not run: {refusal}", level="warning"))
            return
        await asyncio.to_thread(session.checkpoints.snapshot, f"before !{command[:60]}", session.emit)
        session.emit(ShellStarted(call_id=call_id, command=command))
        result = await tool.run(tool.parse({"command": command}), call_context(session, call_id, partial))
        text, code, failed = result.text, result.data.get("exit_code"), result.is_error
    except ToolError as exc:
        text, code, failed = f"error: {exc}", None, True
    except asyncio.CancelledError:
        kept = ("\n" + partial[-1]) if partial else ""
        text, code, failed = "interrupted by the user (the process group was killed)" + kept, None, True
    session.emit(ShellRan(command=command, output=text, exit_code=code, duration=round(time.monotonic() - start, 3),
                          is_error=failed or code not in (0, None), call_id=call_id))
    session.shell.pending.append(for_model(command, text))


def start_user_command(session: SessionHost, command: str, turn_running: bool) -> None:
    """Start a `!command` unless a turn or another command is running."""
    command = command.strip()
    task = session.shell.task
    if not command:
        session.emit(Notice(text="! needs a command, e.g. !git status", level="warning"))
    elif turn_running or (task is not None and not task.done()):
        session.emit(Notice(text=f"!{command}: wait for the running turn or command to end (or interrupt it)",
                            level="warning"))
    else:
        session.shell.task = asyncio.ensure_future(run_user_command(session, command))


def cancel_user_command(session: SessionHost) -> bool:
    """Stop a running `!command`; True if there was one."""
    task = session.shell.task
    if task is not None and not task.done():
        task.cancel()
        return True
    return False


async def drain_pending(session: SessionHost) -> str:
    """Wait for a running `!command`, then take every output not yet sent to the model."""
    task = session.shell.task
    if task is not None and not task.done():
        await asyncio.gather(task, return_exceptions=True)
    pending = session.shell.pending
    text = "\n\n".join(pending)
    pending.clear()
    return text
