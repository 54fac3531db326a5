"""The turn loop: ask the model, run its tool calls (read-only ones concurrently), until finish or a limit."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent.backends.base import ModelError, ModelReply, ToolCall
from agent.core.events import (
    AssistantDelta, AssistantMessage, ErrorOccurred, Notice, NoteAdded, PlanUpdated, ReminderAdded, ToolCallStarted,
    ToolCallFinished, TurnStarted, UserMessage,
)
from agent.core.toolcalls import decode_arguments, execute_call

if TYPE_CHECKING:
    from agent.core.session import Session

PLAN_NUDGE = "Before reading or editing, record your plan with the `plan` tool: hypotheses and what you will look at."
FINISH_NUDGE = "If the task is done, call `finish` with a summary; otherwise continue with a tool call."
VERIFY_NUDGE = (
    "You changed files but have not run anything since the last edit. Run the relevant test or command to verify, "
    "or call `finish` again and say why you cannot verify."
)


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


async def run_turn(session: Session, text: str) -> str:
    """Run until the model finishes, stops, or a limit is hit; returns the turn status."""
    from agent.core.mentions import attachment_for

    message = UserMessage(text=text, attachment=await attachment_for(session, text))
    session.history.append({"role": "user", "content": message.model_text()})
    session.emit(message)
    state = TurnState(started=time.monotonic())
    while True:
        limit = check_limits(session, state)
        if limit:
            session.limit_hit = limit
            session.emit(Notice(text=f"limit reached: {limit}", level="warning"))
            return "limit_reached"
        reply = await ask_model(session)
        if reply is None:
            return "model_error"
        status = await handle_reply(session, state, reply)
        if status:
            return status


def remind(session: Session, text: str) -> None:
    """Add a loop reminder to the conversation, as an event so a resumed session sees it too."""
    session.history.append({"role": "user", "content": text})
    session.emit(ReminderAdded(text=text))


def check_limits(session: Session, state: TurnState) -> str:
    """The name of the first limit reached, or ''."""
    s = session.settings
    if s.max_steps and session.totals.steps >= s.max_steps:
        return f"max steps ({s.max_steps})"
    cost = session.totals.cost
    if s.max_cost is not None and cost is not None and cost >= s.max_cost:
        return f"max cost (${s.max_cost:.2f}; spent ${cost:.4f})"
    return ""


async def ask_model(session: Session) -> ModelReply | None:
    """One model call with the current view; a context-length error compacts once and retries."""
    from agent.context.compaction import compact_now, maintain

    await maintain(session)
    for attempt in range(2):
        tools = [t.schema() for t in session.tools.values()]
        messages = session.context.view(session.history, session.pad)
        context_tokens = session.context.measure(messages, tools)
        session.emit(TurnStarted(step=session.totals.steps + 1))
        try:
            reply = await session.model.complete(messages, tools, lambda d: session.emit(AssistantDelta(text=d)))
        except ModelError as err:
            if err.kind == "context_length" and attempt == 0:
                session.emit(Notice(text="the provider says the context is too long; compacting and retrying", level="warning"))
                await compact_now(session, "", reason="context_length")
                continue
            session.emit(ErrorOccurred(message=str(err), kind=err.kind))
            session.model_error = err
            return None
        record_reply(session, reply, context_tokens)
        return reply
    return None


def record_reply(session: Session, reply: ModelReply, context_tokens: int) -> None:
    """Append the assistant message to the history and emit it."""
    calls = [c.to_message() for c in reply.tool_calls]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or ""}
    if calls:
        message["tool_calls"] = calls
    session.history.append(message)
    read = reply.cache_read_tokens or reply.cached_tokens
    session.emit(AssistantMessage(
        step=session.totals.steps + 1, content=reply.content or "", tool_calls=calls,
        input_tokens=reply.input_tokens, output_tokens=reply.output_tokens, cached_tokens=read,
        cost=reply.cost, context_tokens=context_tokens, model=session.model.name,
        cache_read_tokens=read, cache_write_tokens=reply.cache_write_tokens,
    ))


async def handle_reply(session: Session, state: TurnState, reply: ModelReply) -> str:
    """Run the reply's tool calls; return a final status or '' to continue."""
    if not reply.tool_calls:
        if session.settings.interactive or state.finish_nudged:
            session.totals.summary = reply.content
            return "answered" if session.settings.interactive else "not_completed"
        state.finish_nudged = True
        remind(session, FINISH_NUDGE)
        return ""
    status = await run_calls(session, state, reply.tool_calls)
    if status:
        return status
    if session.settings.plan and not state.plan_nudged and not session.pad.steps:
        state.plan_nudged = True
        remind(session, PLAN_NUDGE)
    return ""


async def run_calls(session: Session, state: TurnState, calls: list[ToolCall]) -> str:
    """Execute calls in order, batching consecutive read-only ones concurrently; '' or 'finished'."""
    status = ""
    batch: list[ToolCall] = []
    for call in calls:
        tool = session.tools.get(call.name)
        if tool is not None and tool.read_only and call.name not in ("finish", "compact"):
            batch.append(call)
            continue
        await run_batch(session, state, batch)
        batch = []
        if status:
            record_skip(session, call, "not run: the task was already finished by an earlier call")
            continue
        status = await run_one(session, state, call)
    await run_batch(session, state, batch)
    return status


async def run_batch(session: Session, state: TurnState, batch: list[ToolCall]) -> None:
    """Run read-only calls concurrently; results are recorded in call order."""
    if not batch:
        return
    for call in batch:
        session.emit(ToolCallStarted(call_id=call.id, name=call.name, arguments=decode_arguments(call)[0] or {},
                                     label=_label(session, call)))
    results = await asyncio.gather(*(execute_call(session, state, call, announce=False) for call in batch))
    for result in results:
        finish_call(session, result)


async def run_one(session: Session, state: TurnState, call: ToolCall) -> str:
    """Run one call that may change things or end the turn."""
    if call.name == "finish":
        return await finish(session, state, call)
    result = await execute_call(session, state, call, announce=True)
    finish_call(session, result)
    if call.name == "run" and not result.is_error and state.edited:
        state.ran_after_edit = True
        session.totals.verified = result.data.get("exit_code") == 0
    return ""


async def finish(session: Session, state: TurnState, call: ToolCall) -> str:
    """Accept `finish` once its `verify` command passes, or after one reminder to verify when files changed."""
    from agent.core.control import run_verify

    args, error = decode_arguments(call)
    session.emit(ToolCallStarted(call_id=call.id, name="finish", arguments=args or {}, label="finish"))
    if error or not isinstance(args.get("summary"), str):
        text = error or "finish needs a `summary` string"
        finish_call(session, ToolCallFinished(call_id=call.id, name="finish", text=text, is_error=True))
        return ""
    verify = args.get("verify") if isinstance(args.get("verify"), str) else ""
    failed = await run_verify(session, state, call, verify) if verify.strip() else None
    if failed:
        finish_call(session, failed)
        return ""
    if not verify.strip() and state.edited and not state.ran_after_edit and not state.verify_nudged:
        state.verify_nudged = True
        finish_call(session, ToolCallFinished(call_id=call.id, name="finish", text=VERIFY_NUDGE, is_error=True))
        return ""
    session.totals.summary = args["summary"]
    text = f"finished (verified: `{verify}` exited 0)" if verify.strip() else "finished"
    finish_call(session, ToolCallFinished(call_id=call.id, name="finish", text=text, data={"verify": verify}))
    return "finished"


def finish_call(session: Session, result: ToolCallFinished) -> None:
    """Append the tool message to the history and emit the result (and side events)."""
    result.text = session.context.cap_output(result.text)  # no single output may flood the budget
    session.history.append({"role": "tool", "tool_call_id": result.call_id, "content": result.text})
    session.record_result(result)
    if result.is_error:
        return
    if result.name == "plan":
        session.emit(PlanUpdated(steps=list(session.pad.steps)))
    elif result.name == "note" and "fact" in result.data:
        session.emit(NoteAdded(fact=result.data["fact"]))


def record_skip(session: Session, call: ToolCall, reason: str) -> None:
    """Answer a call that will not run, so the history stays well-formed."""
    finish_call(session, ToolCallFinished(call_id=call.id, name=call.name, text=reason, is_error=True))


def close_open_calls(session: Session, reason: str) -> None:
    """After an interrupt, answer every tool call still without a result."""
    answered = {m.get("tool_call_id") for m in session.history if m.get("role") == "tool"}
    for message in reversed(session.history):
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or []:
            if call["id"] not in answered:
                fake = ToolCall(id=call["id"], name=call["function"]["name"], arguments="{}")
                record_skip(session, fake, reason)
        break


def _label(session: Session, call: ToolCall) -> str:
    """A short label for the UI."""
    tool = session.tools.get(call.name)
    args = decode_arguments(call)[0] or {}
    return tool.describe_call(args) if tool else call.name
