"""Session state as a fold over events: `SessionState.apply` is the one writer of what a session knows.

The live session folds each event it emits; resume, replay and the inspector fold the logged events with the same
reducer, so a rebuilt session equals the live one by construction.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.core.events import (
    AssistantMessage, ContextCompacted, ContextEvicted, Event, FileEdited, ModelSwitched, ModelUsage, NoteAdded,
    Outcome, PlanUpdated, ReminderAdded, SessionFinished, SessionStarted, ToolCallFinished, TurnEnded, TurnStarted,
    TurnStatus, UserMessage,
)
from agent.context.scratchpad import Fact, Scratchpad

INTERRUPTED = "interrupted: the session stopped before this call returned; it may or may not have run"
ANSWERS = (TurnStatus.ANSWERED, TurnStatus.NOT_COMPLETED)  # turns that end on a reply without tool calls


@dataclass
class Totals:
    """Running counts for the result object: model calls, tokens, cost, files changed."""

    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # = cache_read_tokens
    cost: float | None = 0.0
    files: list[str] = field(default_factory=list)
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, event: AssistantMessage | ModelUsage) -> None:
        """Count one model call (a step unless it is a summariser call); unknown cost makes the total unknown."""
        if isinstance(event, AssistantMessage):
            self.steps += 1
        read = event.cache_read_tokens or getattr(event, "cached_tokens", 0)
        self.input_tokens += event.input_tokens
        self.output_tokens += event.output_tokens
        self.cached_tokens += read
        self.cache_read_tokens += read
        self.cache_write_tokens += event.cache_write_tokens
        self.cost = None if self.cost is None or event.cost is None else self.cost + event.cost


@dataclass
class ContextBook:
    """What the context manager did to the model's view (evictions, compaction), read regions and request sizes."""

    evicted: dict[str, str] = field(default_factory=dict)  # tool_call_id -> stub
    summary: str = ""
    compacted_upto: int = 0  # history index before which turns are replaced by the summary
    compactions: int = 0
    evictions: int = 0  # ContextEvicted events (each stubs one or more outputs)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # call_id -> {"region", "edits"}
    peak_tokens: int = 0
    last_tokens: int = 0  # the last request's size, for the UI


def apply_context(book: ContextBook, event: Event) -> None:
    """The context part of the fold: evictions, compactions, read regions and edited paths, request sizes."""
    if isinstance(event, ContextEvicted):
        book.evicted.update(event.stubs or {cid: f"[evicted: {cid}; call it again if needed]" for cid in event.call_ids})
        book.evictions += 1
    elif isinstance(event, ContextCompacted):
        book.summary = event.summary
        book.compacted_upto = event.upto_index
        book.compactions += 1
    elif isinstance(event, (TurnStarted, AssistantMessage)) and event.context_tokens:
        book.last_tokens = event.context_tokens  # a request counts when sent: one that fails still had its size
        book.peak_tokens = max(book.peak_tokens, event.context_tokens)
    elif isinstance(event, ToolCallFinished) and not event.is_error:
        edits = [e["path"] for e in event.data.get("file_edits") or [] if e.get("path")]
        region = event.data.get("region")
        if edits or isinstance(region, dict):
            book.meta[event.call_id] = {"region": None if edits else region, "edits": edits}


@dataclass
class SessionState:
    """Everything a session knows, built only by `apply`; front ends read it, never write it."""

    history: list[dict[str, Any]] = field(default_factory=list)  # the conversation, as the model gets it
    totals: Totals = field(default_factory=Totals)
    pad: Scratchpad = field(default_factory=Scratchpad)
    context: ContextBook = field(default_factory=ContextBook)
    last_status: TurnStatus = TurnStatus.NOT_COMPLETED
    limit: str = ""  # the limit that stopped a turn of this session, if one did
    summary: str = ""
    verified: bool = False
    model: str = ""
    pending: dict[str, str] = field(default_factory=dict)  # call_id -> tool name: calls still without a result
    edited: bool = False  # a file changed since the last user message (a passing command then verifies)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # the last reply's tool calls, by id
    last_reply: str | None = None  # the last reply's text when it made no tool call

    def apply(self, event: Event) -> None:
        """Fold one event into the state (the only writer of it)."""
        apply_context(self.context, event)
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def fold(self, events: list[Event]) -> SessionState:
        """Apply every event in order; returns self."""
        for event in events:
            self.apply(event)
        return self

    def _close_pending(self) -> None:
        """Answer calls a crash left without a result (history only: the log moved on without them)."""
        for call_id in self.pending:
            self.history.append({"role": "tool", "tool_call_id": call_id, "content": "error: " + INTERRUPTED})
        self.pending.clear()

    def _on_user(self, event: UserMessage) -> None:
        """A user message starts a turn: no file changed in it yet."""
        self._close_pending()
        self.history.append({"role": "user", "content": event.model_text()})
        self.edited = False

    def _on_reminder(self, event: ReminderAdded) -> None:
        """A loop reminder, sent as a user message."""
        self._close_pending()
        self.history.append({"role": "user", "content": event.text})

    def _on_assistant(self, event: AssistantMessage) -> None:
        """A model reply: its calls await results; it counts as a step."""
        self._close_pending()
        message: dict[str, Any] = {"role": "assistant", "content": event.content}
        if event.tool_calls:
            message["tool_calls"] = event.tool_calls
        self.history.append(message)
        self.calls = {call["id"]: call for call in event.tool_calls}
        self.pending.update({cid: call.get("function", {}).get("name", "") for cid, call in self.calls.items()})
        self.last_reply = None if event.tool_calls else event.content
        self.model = event.model or self.model
        self.totals.add(event)

    def _on_result(self, event: ToolCallFinished) -> None:
        """A tool result; finishing and commands also settle the summary and `verified`."""
        self.pending.pop(event.call_id, None)
        self.history.append({"role": "tool", "tool_call_id": event.call_id, "content": event.text})
        if event.outcome == Outcome.FINISHED:
            self.summary = _argument(self.calls.get(event.call_id), "summary") or self.summary
            self.verified = self.verified or bool(str(event.data.get("verify") or "").strip())
        elif event.outcome == Outcome.COMMAND:
            if "verify" in event.data or _argument(self.calls.get(event.call_id), "verify"):
                self.verified = False  # finish's verify command failed (a passing one finishes)
            elif not event.is_error and self.edited:
                self.verified = event.data.get("exit_code") == 0

    def _on_plan(self, event: PlanUpdated) -> None:
        """The plan, replaced."""
        self.pad.set_plan(event.steps)

    def _on_note(self, event: NoteAdded) -> None:
        """One more fact."""
        names = set(Fact.__dataclass_fields__)
        self.pad.facts.append(Fact(**{k: v for k, v in event.fact.items() if k in names}))

    def _on_edit(self, event: FileEdited) -> None:
        """A file pith changed."""
        if event.path not in self.totals.files:
            self.totals.files.append(event.path)
        self.edited = True

    def _on_usage(self, event: ModelUsage) -> None:
        """A model call outside the conversation (the summariser)."""
        self.totals.add(event)

    def _on_turn_ended(self, event: TurnEnded) -> None:
        """How the turn ended; an answer without tool calls is its summary."""
        self.last_status = _status(event.status)
        self.limit = event.limit or self.limit
        if event.status in ANSWERS and self.last_reply is not None:
            self.summary = self.last_reply

    def _on_started(self, event: SessionStarted) -> None:
        """The session (re)starts."""
        self.model = event.model
        if event.resumed:  # the outcome so far belongs to the earlier turns, not to the continuation
            self.summary, self.verified, self.last_status, self.limit = "", False, TurnStatus.NOT_COMPLETED, ""

    def _on_finished(self, event: SessionFinished) -> None:
        """The recorded result (older logs carry summary and `verified` only here)."""
        self.summary = event.summary or self.summary
        self.verified = event.verified
        self.last_status = _status(event.status)
        self.limit = event.limit or self.limit

    def _on_model(self, event: ModelSwitched) -> None:
        """The model switched."""
        self.model = event.model


def _status(value: str) -> TurnStatus:
    """A logged status as a TurnStatus (an unknown one, from a newer pith, reads as not completed)."""
    try:
        return TurnStatus(value)
    except ValueError:
        return TurnStatus.NOT_COMPLETED


def _argument(call: dict[str, Any] | None, name: str) -> str:
    """One string argument of a logged tool call ('' when absent or unreadable)."""
    try:
        value = json.loads((call or {}).get("function", {}).get("arguments") or "{}").get(name)
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


_HANDLERS: dict[type[Event], Callable[[SessionState, Any], None]] = {
    UserMessage: SessionState._on_user, ReminderAdded: SessionState._on_reminder,
    AssistantMessage: SessionState._on_assistant, ToolCallFinished: SessionState._on_result,
    PlanUpdated: SessionState._on_plan, NoteAdded: SessionState._on_note, FileEdited: SessionState._on_edit,
    ModelUsage: SessionState._on_usage, TurnEnded: SessionState._on_turn_ended, SessionStarted: SessionState._on_started,
    SessionFinished: SessionState._on_finished, ModelSwitched: SessionState._on_model,
}
