"""The turn loop: ask the model, run its tool calls (read-only ones concurrently), until the task ends or a limit.

The loop never writes the session's state: it emits events and the session folds them (agent/core/state.py)."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from agent.backends.base import ModelError, ModelReply, ToolCall
from agent.context.compaction import compact_now, maintain
from agent.core.control import run_verify
from agent.core.events import (
    AssistantDelta, AssistantMessage, ErrorOccurred, Notice, Outcome, ReminderAdded, ToolCallFinished,
    ToolCallStarted, TurnStarted, TurnStatus, UserMessage,
)
from agent.core.host import SessionHost
from agent.core.mentions import attachment_for
from agent.core.toolcalls import CallResult, TurnState, decode_arguments, execute_call, finish_call
from tools.base import CompactRequested, Finished

PLAN_NUDGE = "Before reading or editing, record your plan with the `plan` tool: hypotheses and what you will look at."
FINISH_NUDGE = "If the task is done, call `finish` with a summary; otherwise continue with a tool call."
VERIFY_NUDGE = (
    "You changed files but have not run anything since the last edit. Run the relevant test or command to verify, "
    "or call `finish` again and say why you cannot verify."
)


async def run_turn(session: SessionHost, text: str) -> TurnStatus:
    """Run until the model finishes, stops, or a limit is hit; returns the turn status."""
    session.emit(UserMessage(text=text, attachment=await attachment_for(session, text)))
    state = TurnState(started=time.monotonic())
    while True:
        limit = check_limits(session)
        if limit:
            session.limit_hit = limit
            session.emit(Notice(text=f"limit reached: {limit}", level="warning"))
            return TurnStatus.LIMIT_REACHED
        reply = await ask_model(session)
        if reply is None:
            return TurnStatus.MODEL_ERROR
        status = await handle_reply(session, state, reply)
        if status is not None:
            return status


def remind(session: SessionHost, text: str) -> None:
    """Add a loop reminder to the conversation, as an event so a resumed session sees it too."""
    session.emit(ReminderAdded(text=text))


def check_limits(session: SessionHost) -> str:
    """The name of the first limit reached, or ''."""
    s = session.settings
    if s.max_steps and session.totals.steps >= s.max_steps:
        return f"max steps ({s.max_steps})"
    cost = session.totals.cost
    if s.max_cost is not None and cost is not None and cost >= s.max_cost:
        return f"max cost (${s.max_cost:.2f}; spent ${cost:.4f})"
    return ""


async def ask_model(session: SessionHost) -> ModelReply | None:
    """One model call with the current view; a context-length error compacts once and retries."""
    await maintain(session)
    for attempt in range(2):
        tools = [t.schema() for t in session.tools.values()]
        messages = session.context.view(session.history, session.pad)
        context_tokens = session.context.measure(messages, tools)
        session.emit(TurnStarted(step=session.totals.steps + 1, context_tokens=context_tokens))
        try:
            reply = await session.model.complete(messages, tools, lambda d: session.emit(AssistantDelta(text=d)))
        except ModelError as err:
            if err.kind == "context_length" and attempt == 0:
                session.emit(Notice(text="the provider says the context is too long; compacting and retrying", level="warning"))
                await compact_now(session, "", reason="context_length")
                continue
            session.emit(ErrorOccurred(message=str(err), kind=err.kind))
            return None
        record_reply(session, reply, context_tokens)
        return reply
    return None


def record_reply(session: SessionHost, reply: ModelReply, context_tokens: int) -> None:
    """Emit the assistant message (the state appends it to the history)."""
    calls: list[dict[str, Any]] = [c.to_message() for c in reply.tool_calls]
    read = reply.cache_read_tokens or reply.cached_tokens
    session.emit(AssistantMessage(
        step=session.totals.steps + 1, content=reply.content or "", tool_calls=calls,
        input_tokens=reply.input_tokens, output_tokens=reply.output_tokens, cached_tokens=read,
        cost=reply.cost, context_tokens=context_tokens, model=session.model.name,
        cache_read_tokens=read, cache_write_tokens=reply.cache_write_tokens,
    ))


async def handle_reply(session: SessionHost, state: TurnState, reply: ModelReply) -> TurnStatus | None:
    """Run the reply's tool calls; a final status, or None to continue."""
    if not reply.tool_calls:
        if session.settings.interactive or state.finish_nudged:  # the reply is the answer (the state keeps it)
            return TurnStatus.ANSWERED if session.settings.interactive else TurnStatus.NOT_COMPLETED
        state.finish_nudged = True
        remind(session, FINISH_NUDGE)
        return None
    status = await run_calls(session, state, reply.tool_calls)
    if status is not None:
        return status
    if session.settings.plan and not state.plan_nudged and not session.pad.steps:
        state.plan_nudged = True
        remind(session, PLAN_NUDGE)
    return None


async def run_calls(session: SessionHost, state: TurnState, calls: list[ToolCall]) -> TurnStatus | None:
    """Execute calls in order, batching consecutive read-only ones concurrently; None, or the status that ended
    the turn (later calls are then answered, not run)."""
    status: TurnStatus | None = None
    batch: list[ToolCall] = []
    for call in calls:
        tool = session.tools.get(call.name)
        if tool is not None and tool.read_only:
            batch.append(call)
            continue
        await run_batch(session, state, batch)
        batch = []
        if status is not None:
            record_skip(session, call, "not run: the task was already finished by an earlier call")
            continue
        status = await run_one(session, state, call)
    await run_batch(session, state, batch)
    return status


async def run_batch(session: SessionHost, state: TurnState, batch: list[ToolCall]) -> None:
    """Run read-only calls concurrently; results are recorded in call order."""
    if not batch:
        return
    for call in batch:
        session.emit(ToolCallStarted(call_id=call.id, name=call.name, arguments=decode_arguments(call)[0] or {},
                                     label=_label(session, call)))
    results = await asyncio.gather(*(execute_call(session, state, call, announce=False) for call in batch))
    for result in results:
        finish_call(session, result)


async def run_one(session: SessionHost, state: TurnState, call: ToolCall) -> TurnStatus | None:
    """Run one call that may change things or end the turn, and act on its outcome."""
    result = await execute_call(session, state, call, announce=True)
    if isinstance(result.outcome, Finished) and not result.event.is_error:
        return await finish(session, state, call, result)
    if isinstance(result.outcome, CompactRequested) and not result.event.is_error:
        result.event.text = await compact_now(session, result.outcome.focus, reason="model")
        result.event.outcome = Outcome.COMPACTED
    finish_call(session, result)
    if result.event.outcome == Outcome.COMMAND and not result.event.is_error and state.edited:
        state.ran_after_edit = True
    return None


async def finish(session: SessionHost, state: TurnState, call: ToolCall, result: CallResult) -> TurnStatus | None:
    """Accept a finish once its `verify` command passes, or after one reminder to verify when files changed."""
    assert isinstance(result.outcome, Finished)
    verify = result.outcome.verify
    failed = await run_verify(session, state, call, verify) if verify.strip() else None
    if failed:
        finish_call(session, failed)
        return None
    if not verify.strip() and state.edited and not state.ran_after_edit and not state.verify_nudged:
        state.verify_nudged = True
        finish_call(session, ToolCallFinished(call_id=call.id, name=call.name, text=VERIFY_NUDGE, is_error=True))
        return None
    text = f"finished (verified: `{verify}` exited 0)" if verify.strip() else "finished"
    finish_call(session, ToolCallFinished(call_id=call.id, name=call.name, text=text, data={"verify": verify},
                                          outcome=Outcome.FINISHED))
    return TurnStatus.FINISHED


def record_skip(session: SessionHost, call: ToolCall, reason: str) -> None:
    """Answer a call that will not run, so the history stays well-formed."""
    finish_call(session, ToolCallFinished(call_id=call.id, name=call.name, text=reason, is_error=True))


def close_open_calls(session: SessionHost, reason: str) -> None:
    """After an interrupt, answer every tool call still without a result."""
    for call_id, name in list(session.state.pending.items()):
        record_skip(session, ToolCall(id=call_id, name=name, arguments="{}"), reason)


def _label(session: SessionHost, call: ToolCall) -> str:
    """A short label for the UI."""
    tool = session.tools.get(call.name)
    args = decode_arguments(call)[0] or {}
    return tool.describe_call(args) if tool else call.name
