"""Executing one tool call: decode, approve, checkpoint, run; every failure becomes an observation."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import traceback
from dataclasses import dataclass
from typing import Any

from agent.backends.base import ToolCall
from agent.core.events import (
    ApprovalResolved, CommandOutput, FileEdited, NoteAdded, Outcome, PlanUpdated, ToolCallFinished, ToolCallStarted,
)
from agent.core.host import SessionHost
from tools.base import Approval, CommandRan, FactNoted, PlanSet, Tool, ToolContext, ToolError, ToolOutcome

OUTCOMES: dict[type, Outcome] = {CommandRan: Outcome.COMMAND, PlanSet: Outcome.PLAN, FactNoted: Outcome.NOTE}


@dataclass
class TurnState:
    """What the loop remembers within one user turn."""

    started: float
    plan_nudged: bool = False
    finish_nudged: bool = False
    verify_nudged: bool = False
    edited: bool = False
    ran_after_edit: bool = False
    checkpointed: bool = False


@dataclass
class CallResult:
    """A call's result event (not yet emitted) and the tool's typed outcome (None for most calls)."""

    event: ToolCallFinished
    outcome: ToolOutcome | None = None


def always_sticks(session: SessionHost, name: str, approval: Approval) -> bool:
    """Whether answering 'always' would stop the next such question (destructive commands ask every time)."""
    trial = dataclasses.replace(session.policy, always=session.policy.always | {(name, approval.pattern)})
    return trial.decide(name, approval)[0] == "allow"


def decode_arguments(call: ToolCall) -> tuple[dict[str, Any] | None, str]:
    """(arguments, '') or (None, a precise error the model can fix)."""
    raw = call.arguments.strip() or "{}"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        snippet = raw[max(0, exc.pos - 20): exc.pos + 20]
        return None, f"arguments for {call.name} are not valid JSON ({exc.msg} at char {exc.pos}, near {snippet!r}); resend the call"
    if not isinstance(value, dict):
        return None, f"arguments for {call.name} must be a JSON object, got {type(value).__name__}"
    bad = _surrogate(value)
    if bad:
        return None, f"arguments for {call.name} contain invalid Unicode (a lone surrogate, {bad}); resend the call with valid text"
    return value, ""


def _surrogate(value: Any) -> str:
    """The first lone surrogate in a decoded JSON value, as an escape ('' when none)."""
    if isinstance(value, str):
        found = next((ch for ch in value if "\ud800" <= ch <= "\udfff"), "")
        return f"\\u{ord(found):04x}" if found else ""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    keys = list(value) if isinstance(value, dict) else []
    return next((hit for hit in map(_surrogate, [*keys, *items]) if hit), "")


async def execute_call(session: SessionHost, state: TurnState, call: ToolCall, announce: bool) -> CallResult:
    """Run a call and return its result (not yet emitted)."""
    start = time.monotonic()
    tool = session.tools.get(call.name)
    args, error = decode_arguments(call)
    if announce:
        label = tool.describe_call(args or {}) if tool else call.name
        session.emit(ToolCallStarted(call_id=call.id, name=call.name, arguments=args or {}, label=label))
    if tool is None:
        names = ", ".join(session.tools)
        error = f"unknown tool {call.name!r}; available tools: {names}"
    if error:
        return _result(call, error, True, {}, start)
    try:
        parsed = tool.parse(args or {})
        denial = await _approve(session, tool, parsed)
        if denial:
            return _result(call, denial, True, {"denied": True}, start)
        start = time.monotonic()  # the duration is the tool's, not the time a person took to approve it
        if guarded(tool):
            _checkpoint(session, state)
        partial: list[str] = []
        try:
            result = await tool.run(parsed, call_context(session, call.id, partial))
        except asyncio.CancelledError:  # keep what an interrupted command printed, then let the cancel go on
            if partial:
                why = "stopped: " + (session.limit_hit or "interrupted by the user")
                finish_call(session, _result(call, f"{why}; {partial[-1]}", True, {"interrupted": True}, start))
            raise
    except ToolError as exc:
        return _result(call, str(exc), True, {}, start)
    except Exception as exc:  # a crashing tool is an observation, never a dead session
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return _result(call, f"{call.name} failed with an internal error: {detail}", True, {"crash": True}, start)
    if result.data.get("file_edits") and not result.is_error:
        session.checkpoints.record_edits(result.data["file_edits"], session.emit)  # undo/--commit own only these
        state.edited = True
        state.ran_after_edit = False
    event = _result(call, result.text, result.is_error, result.data, start).event
    event.outcome = OUTCOMES.get(type(result.outcome), Outcome.NONE)
    return CallResult(event, result.outcome)


def guarded(tool: Tool) -> bool:
    """Whether a call may change the files: it needs approval (as a write unless it asks for more) and a checkpoint."""
    return not tool.read_only and not tool.session_only


def finish_call(session: SessionHost, result: CallResult | ToolCallFinished) -> None:
    """Emit a tool result (the state appends it to the history), then what it changed: edits, plan, notes."""
    event, outcome = (result.event, result.outcome) if isinstance(result, CallResult) else (result, None)
    event.text = session.context.cap_output(event.text)  # no single output may flood the budget
    session.emit(event)
    if event.is_error:
        return
    for edit in event.data.get("file_edits", []):
        session.emit(FileEdited(path=edit["path"], diff=edit.get("diff", ""), before_hash=edit.get("before_hash"),
                                after_hash=edit.get("after_hash")))
        from tools.symbols.lazy import note_edit  # tree-sitter: loaded only once something was edited

        note_edit(session.root, session.tool_ctx.cache_dir, edit["path"])  # re-tag the file in the index now
    if isinstance(outcome, PlanSet):
        session.emit(PlanUpdated(steps=list(outcome.steps)))
    elif isinstance(outcome, FactNoted):
        session.emit(NoteAdded(fact=outcome.fact))


def call_context(session: SessionHost, call_id: str, partial: list[str]) -> ToolContext:
    """The session's tool context for one call: live output becomes CommandOutput events for this call, and an
    interrupted command leaves its partial result in `partial`."""
    def on_output(text: str) -> None:
        session.emit(CommandOutput(call_id=call_id, text=text))

    extra = {**session.tool_ctx.extra, "on_output": on_output, "on_interrupted": partial.append}
    return dataclasses.replace(session.tool_ctx, extra=extra)


def _result(call: ToolCall, text: str, is_error: bool, data: dict[str, Any], start: float) -> CallResult:
    """Build the result; errors are prefixed so the model cannot miss them."""
    if is_error and not text.startswith("error"):
        text = "error: " + text
    return CallResult(ToolCallFinished(call_id=call.id, name=call.name, text=text, is_error=is_error,
                                       duration=round(time.monotonic() - start, 3), data=data))


async def _approve(session: SessionHost, tool: Tool, args: Any) -> str:
    """'' when the call may run, else the message the model gets."""
    approval = tool.approval(args, session.tool_ctx)
    if approval is None and guarded(tool):
        approval = Approval(kind="write", summary=tool.describe_call(args.model_dump()), pattern=tool.name)
    if approval is None:
        return ""
    decision, reason = session.policy.decide(tool.name, approval)
    if decision == "ask" and not session.settings.interactive:
        decision = "deny"
        if session.policy.mode == "auto":  # only the deny list asks in auto mode
            reason += "; it needs a person's approval and none is available in this headless run: find a safer way"
        else:
            reason = (reason + "; " if reason else "") + "no one can approve it in this headless run (use --approve auto to allow edits and commands)"
    if decision == "ask":
        answer = await session.request_approval(tool.name, approval.kind, approval.summary, approval.pattern,
                                                approval.detail, reason, always_sticks(session, tool.name, approval))
        if answer.decision in ("allow", "always"):
            return ""
        why = f": {answer.reason}" if answer.reason else ""
        return f"the user denied this {approval.kind}{why}. Do not retry it unchanged; adjust your approach."
    session.emit(ApprovalResolved(request_id="policy", decision=decision, reason=reason, by="policy"))
    if decision == "allow":
        return ""
    return f"not allowed: {reason}. {approval.summary[:200]!r} was not run."


def _checkpoint(session: SessionHost, state: TurnState) -> None:
    """Snapshot the working tree before the first change of each turn."""
    if state.checkpointed:
        return
    state.checkpointed = True
    session.checkpoints.snapshot(f"before step {session.totals.steps}", session.emit)
