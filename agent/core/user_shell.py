"""`!command`: the user's own shell command, run through the `run` tool (same sandbox and deny rules, no dialog)."""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

from agent.core.events import Notice, ShellRan, ShellStarted
from tools.base import ToolError

if TYPE_CHECKING:
    from agent.core.session import Session

PENDING = "_user_shell_pending"
TASK = "_user_shell_task"


def _pending(session: Session) -> list[str]:
    """The outputs waiting for the next user message (kept on the session)."""
    if not hasattr(session, PENDING):
        setattr(session, PENDING, [])
    return getattr(session, PENDING)


def for_model(command: str, output: str) -> str:
    """How a user command's output reads in the next user message."""
    return f"[the user ran `{command}` in the repository; its output]\n{output.rstrip()}"


async def _permitted(session: Session, command: str) -> str:
    """'' when the user's command may run, else why not: deny rules and never mode hold, destructive ones ask."""
    from agent.core.approval import dangerous
    from tools.shell import command_pattern

    pattern = command_pattern(command)
    from tools.base import Approval

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


async def run_user_command(session: Session, command: str) -> None:
    """Run the command, show its output (ShellRan) and keep it for the model's next message."""
    from agent.core.checkpoints import snapshot
    from tools.shell import RunTool

    start = time.monotonic()
    tool = session.tools.get("run") or RunTool()
    call_id = f"shell-{uuid.uuid4().hex[:8]}"
    partial: list[str] = []
    try:
        refusal = await _permitted(session, command)
        if refusal:
            session.emit(Notice(text=f"!{command}: not run: {refusal}", level="warning"))
            return
        await asyncio.to_thread(snapshot, session, f"before !{command[:60]}")
        session.emit(ShellStarted(call_id=call_id, command=command))
        result = await tool.run(tool.parse({"command": command}), _live_context(session, call_id, partial))
        text, code, failed = result.text, result.data.get("exit_code"), result.is_error
    except ToolError as exc:
        text, code, failed = f"error: {exc}", None, True
    except asyncio.CancelledError:
        kept = ("\n" + partial[-1]) if partial else ""
        text, code, failed = "interrupted by the user (the process group was killed)" + kept, None, True
    session.emit(ShellRan(command=command, output=text, exit_code=code, duration=round(time.monotonic() - start, 3),
                          is_error=failed or code not in (0, None), call_id=call_id))
    _pending(session).append(for_model(command, text))


def _live_context(session: Session, call_id: str, partial: list[str]) -> Any:
    """The tool context that streams the command's output (as for the model's commands), if the core has one."""
    try:
        from agent.core.toolcalls import call_context
    except ImportError:
        return session.tool_ctx
    return call_context(session, call_id, partial)


def start_user_command(session: Session, command: str, turn_running: bool) -> None:
    """Start a `!command` unless a turn or another command is running."""
    command = command.strip()
    task = getattr(session, TASK, None)
    if not command:
        session.emit(Notice(text="! needs a command, e.g. !git status", level="warning"))
    elif turn_running or (task is not None and not task.done()):
        session.emit(Notice(text=f"!{command}: wait for the running turn or command to end (or Ctrl+C)",
                            level="warning"))
    else:
        setattr(session, TASK, asyncio.ensure_future(run_user_command(session, command)))


def cancel_user_command(session: Session) -> bool:
    """Stop a running `!command`; True if there was one."""
    task = getattr(session, TASK, None)
    if task is not None and not task.done():
        task.cancel()
        return True
    return False


async def drain_pending(session: Session) -> str:
    """Wait for a running `!command`, then take every output not yet sent to the model."""
    task = getattr(session, TASK, None)
    if task is not None and not task.done():
        await asyncio.gather(task, return_exceptions=True)
    pending = _pending(session)
    text = "\n\n".join(pending)
    pending.clear()
    return text
