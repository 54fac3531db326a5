"""Replaying a recorded session: render it as text or JSONL, or re-run its model turns and compare tool results."""
from __future__ import annotations

import asyncio
import difflib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from agent.core.approval import Decision, Policy
from agent.batch import worktree
from agent.core.events import (
    ApprovalRequested, ApprovalResolved, AssistantMessage, Event, ToolCallFinished, UserMessage,
)
from agent.core.ops import Interrupt, ResolveApproval, Shutdown, SubmitTurn
from agent.log.writer import LoadedLog
from tools.base import Approval

DURATION = re.compile(r"\b\d+(?:\.\d+)?m?s\b")


class ReplayError(Exception):
    """The session cannot be re-run; the message says why."""


def render_events(loaded: LoadedLog, out: TextIO, json_mode: bool = False) -> None:
    """Write the recorded events as headless output would have shown them (or as JSONL)."""
    if json_mode:
        from agent.log.redact import Redactor

        redactor = Redactor.from_env()  # logs from older pith versions (or shared ones) may hold secrets in clear
        for event in loaded.events:
            out.write(json.dumps(redactor.value(event.to_dict()), ensure_ascii=False, default=str) + "\n")
        return
    from agent.frontends.render import TextRenderer

    renderer = TextRenderer(out, color=False)
    for event in loaded.events:
        renderer.handle(event)


def normalise(text: str, root: str, recorded_root: str) -> str:
    """Mask volatile bits: durations, and the re-run worktree path (shown as the recorded root)."""
    if root and recorded_root and root != recorded_root:
        text = text.replace(root, recorded_root)
    return DURATION.sub("<time>", text)


def model_turns(events: list[Event]) -> list[dict[str, Any]]:
    """The recorded assistant messages as a script for ScriptedModel."""
    turns = []
    for e in events:
        if isinstance(e, AssistantMessage):
            usage = {"prompt_tokens": e.input_tokens, "completion_tokens": e.output_tokens}
            turns.append({"role": "assistant", "content": e.content, "tool_calls": e.tool_calls, "usage": usage})
    return turns


@dataclass
class ReplayPolicy(Policy):
    """Today's policy decides; a recorded decision can only make it stricter (a log is untrusted input)."""

    recorded: list[ApprovalResolved] = field(default_factory=list)
    user_answers: list[ApprovalResolved] = field(default_factory=list)

    def decide(self, tool: str, approval: Approval) -> tuple[Decision, str]:
        """Today's decision; a recorded denial is replayed, a recorded approval never widens it."""
        decision, reason = super().decide(tool, approval)
        answer = self.recorded.pop(0) if self.recorded else None
        if decision == Decision.DENY:
            return decision, reason
        if answer is not None and answer.decision == "deny":
            if answer.by == "user":
                self.user_answers.append(answer)
                return Decision.ASK, ""  # the pump gives the person's recorded "no" back
            return Decision.DENY, answer.reason
        if decision == Decision.ASK:
            return Decision.DENY, (f"{reason}; " if reason else "") + (
                "it needs a person's approval, and a re-run never reuses an approval recorded in the log")
        return decision, reason


@dataclass
class Comparison:
    """Recorded vs re-run tool results, compared in order."""

    recorded: list[ToolCallFinished]
    steps: dict[str, int]
    root: str
    recorded_root: str
    compared: int = 0
    divergence: str = ""

    def check(self, new: ToolCallFinished) -> bool:
        """Compare the next result; False (and a report) at the first divergence."""
        index = self.compared
        if index >= len(self.recorded):
            self.divergence = f"the re-run produced an extra tool result: {new.name} ({new.call_id})"
            return False
        old = self.recorded[index]
        self.compared += 1
        before = normalise(old.text, "", "")
        after = normalise(new.text, self.root, self.recorded_root)
        if old.call_id == new.call_id and before == after and old.is_error == new.is_error:
            return True
        diff = "".join(difflib.unified_diff(
            [ln + "\n" for ln in before.splitlines()], [ln + "\n" for ln in after.splitlines()], "recorded", "rerun"))
        self.divergence = (
            f"first divergence at step {self.steps.get(old.call_id, '?')}, tool {old.name}, call {old.call_id}"
            + (f" (re-run answered call {new.call_id})" if new.call_id != old.call_id else "")
            + (f" (error: recorded {old.is_error}, rerun {new.is_error})" if old.is_error != new.is_error else "")
            + "\n" + (diff or "(texts differ only in trailing whitespace or line endings)\n")
        )
        return False


def _steps(events: list[Event]) -> dict[str, int]:
    """call id -> the step of the assistant message that made it."""
    out: dict[str, int] = {}
    for e in events:
        if isinstance(e, AssistantMessage):
            for call in e.tool_calls:
                out.setdefault(call["id"], e.step)
    return out


def add_worktree(root: Path, head: str) -> Path:
    """A fresh detached worktree of `root` at `head`, in a temp folder (made as batch tasks make theirs)."""
    target = Path(tempfile.mkdtemp(prefix="pith-rerun-")) / "tree"
    try:
        return worktree.prepare(str(root), False, head, target).path
    except worktree.CheckoutError as exc:
        shutil.rmtree(target.parent, ignore_errors=True)
        raise ReplayError(f"cannot create a worktree of {root} at {head[:12]}: {exc}") from None


def remove_worktree(root: Path, tree: Path, session_id: str) -> None:
    """Remove the worktree, its folder and the re-run's checkpoint ref."""
    worktree.remove(tree)
    shutil.rmtree(tree.parent, ignore_errors=True)
    worktree.prune_source(root)
    try:
        from tools.checkpoint import Checkpoints

        ref = Checkpoints(root, session_id).ref
        subprocess.run(["git", "-C", str(root), "update-ref", "-d", ref], capture_output=True, timeout=60)
    except Exception:
        pass


def _check_rerunnable(loaded: LoadedLog, root: Path) -> str:
    """The recorded HEAD, or a clear reason why the session cannot be re-run in `root`."""
    head = loaded.header.get("git_head")
    if not head:
        raise ReplayError("this session has no recorded git HEAD (it did not run in a git repository); cannot --rerun")
    if not (root / ".git").exists():
        raise ReplayError(f"{root} is not a git repository: run --rerun inside the session's repository "
                          "(or pass --repo PATH)")
    return str(head)


def rerun_session(loaded: LoadedLog, out: TextIO, root: Path | None = None, settings: Any = None) -> int:
    """Re-run the recorded model turns in a fresh worktree of `root` (default: the recorded repository) under
    today's `settings` (policy and sandbox); 0 when every tool result matches, 1 otherwise."""
    root = Path(root or loaded.header.get("root") or ".")
    head = _check_rerunnable(loaded, root)
    tree = add_worktree(root, head)
    rerun_id = f"rerun-{loaded.header.get('session_id', 'session')}"
    try:
        comparison = asyncio.run(_rerun(loaded, tree, rerun_id, settings))
    finally:
        remove_worktree(root, tree, rerun_id)
    recorded = len(comparison.recorded)
    if comparison.divergence:
        out.write(comparison.divergence.rstrip("\n") + "\n")
        out.write(f"diverged: {comparison.compared} of {recorded} recorded tool results compared\n")
        return 1
    if comparison.compared < recorded:
        out.write(f"diverged: the re-run stopped after {comparison.compared} of {recorded} recorded tool results\n")
        return 1
    out.write(f"all {recorded} tool results match ({comparison.compared} compared)\n")
    return 0


def _build(loaded: LoadedLog, tree: Path, rerun_id: str, settings: Any) -> Any:
    """A session in the worktree with today's settings (given, or pith run's defaults) and the scripted turns."""
    from agent.backends.scripted import ScriptedModel
    from agent.settings.config import Settings
    from agent.log.resume import today_settings
    from agent.compose import build_session

    turns = model_turns(loaded.events)
    base = settings if settings is not None else Settings(approve="auto")
    limits = {"timeout": None, "max_cost": None, "interactive": True, "max_steps": max(base.max_steps, len(turns) + 5)}
    run_settings = today_settings(loaded, base, limits)
    model = ScriptedModel(turns, name=f"rerun of {loaded.header.get('model', '')}")
    recorded = [e for e in loaded.events if isinstance(e, ApprovalResolved)]
    policy = ReplayPolicy(mode=run_settings.approve, allow=list(run_settings.allow), deny=list(run_settings.deny),
                          recorded=recorded)  # Session sets its sandbox, as for any run
    return build_session(run_settings, tree, loaded.header.get("git_head"), None, loaded.header.get("task") or "",
                         model=model, session_id=rerun_id, policy=policy)


async def _rerun(loaded: LoadedLog, tree: Path, rerun_id: str, settings: Any) -> Comparison:
    """Submit each recorded user message; compare results as they arrive; stop at the first divergence."""
    session = _build(loaded, tree, rerun_id, settings)
    comparison = Comparison(recorded=[e for e in loaded.events if isinstance(e, ToolCallFinished)],
                            steps=_steps(loaded.events), root=str(tree), recorded_root=str(loaded.header.get("root")))
    policy: ReplayPolicy = session.policy

    async def pump() -> None:
        """Compare results as they come; answer approval requests with the recorded decisions."""
        async for event in session.events():
            if isinstance(event, ToolCallFinished) and not comparison.divergence and not comparison.check(event):
                session.submit(Interrupt())
            elif isinstance(event, ApprovalRequested):
                answer = policy.user_answers.pop(0) if policy.user_answers else None
                decision, reason = (answer.decision, answer.reason) if answer else ("deny", "no recorded answer")
                session.submit(ResolveApproval(event.request_id, decision, reason))

    consumer = asyncio.ensure_future(pump())
    session.start()
    for message in [e.text for e in loaded.events if isinstance(e, UserMessage)]:
        if comparison.divergence:
            break
        session.submit(SubmitTurn(message))
        await asyncio.sleep(0)
        await session.wait_turn()
    session.submit(Shutdown())
    await consumer
    return comparison
