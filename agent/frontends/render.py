"""Plain-text rendering of events: headless human output and `pith replay` share it."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

from agent.core.events import (
    ApprovalRequested, ApprovalResolved, AssistantDelta, AssistantMessage, ContextCompacted, ContextEvicted,
    ErrorOccurred, Event, FileEdited, Notice, Outcome, PlanUpdated, SessionFinished, SessionStarted, ShellRan,
    ToolCallFinished, ToolCallStarted, UserMessage,
)
from agent.log.redact import Redactor, StreamRedactor
from agent.context.scratchpad import MARK
from tools.base import plural
from tools.output import neutralize

PREVIEW_LINES = 6
E = TypeVar("E")


def _inert(event: E) -> E:
    """The event with terminal control sequences in its text made visible: model text is as untrusted as command
    output (an OSC 52 in a reply would write the user's clipboard)."""
    changed = {f.name: neutralize(value) for f in dataclasses.fields(event)  # type: ignore[arg-type]
               if f.init and isinstance(value := getattr(event, f.name), str) and neutralize(value) != value}
    return dataclasses.replace(event, **changed) if changed else event  # type: ignore[type-var]


def format_cost(cost: float | None) -> str:
    """'$0.0123' or 'unknown'."""
    return "unknown" if cost is None else f"${cost:.4f}"


class TextRenderer:
    """Writes a readable transcript; streaming deltas are shown live when `stream` is true."""

    def __init__(self, out: TextIO, stream: bool = True, color: bool = False) -> None:
        self.out = out
        self.stream = stream
        self.color = color
        self._streamed = False
        self._open: dict[str, str] = {}  # call id -> label, for calls started and not yet finished
        self._labelling = False
        self.redactor = Redactor.from_env()
        self._stream_redactor = StreamRedactor(self.redactor)  # a secret split across deltas is still caught
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            SessionStarted: self._on_session_started, UserMessage: self._on_user_message,
            ShellRan: self._on_shell_ran, AssistantDelta: self._on_assistant_delta,
            AssistantMessage: self._on_assistant_message, ToolCallStarted: self._on_tool_call_started,
            ToolCallFinished: self._on_tool_call_finished, FileEdited: self._on_file_edited,
            PlanUpdated: self._on_plan_updated, ApprovalRequested: self._on_approval_requested,
            ApprovalResolved: self._on_approval_resolved, ContextEvicted: self._on_context_evicted,
            ContextCompacted: self._on_context_compacted, Notice: self._on_notice, ErrorOccurred: self._on_error,
            SessionFinished: self._on_session_finished,
        }

    def _w(self, text: str = "", style: str = "") -> None:
        codes = {"dim": "2", "bold": "1", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
        if self.color and style:
            text = f"\x1b[{codes[style]}m{text}\x1b[0m"
        held = self._stream_redactor.flush()  # streamed text cut off (error, interrupt) is still shown
        if held:
            self.out.write(held + "\n")
        self.out.write(text + "\n")
        self.out.flush()

    def handle(self, event: Event) -> None:
        """Render one event."""
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(_inert(self.redactor.event(event)))

    def _on_session_started(self, e: SessionStarted) -> None:
        verb = "resumed" if e.resumed else "session"
        self._w(f"pith {verb} {e.session_id} · {e.model} · {e.root}", "dim")

    def _on_user_message(self, e: UserMessage) -> None:
        self._w(f"\n> {e.text.strip()}", "bold")
        if e.attachment:
            from agent.core.mentions import attached_summary

            self._w(f"  attached: {attached_summary(e.attachment)}", "dim")

    def _on_shell_ran(self, e: ShellRan) -> None:
        self._w(f"! {e.command}", "cyan")
        self._preview(e.output, e.is_error)

    def _on_assistant_delta(self, e: AssistantDelta) -> None:
        if self.stream:
            self.out.write(self._stream_redactor.feed(e.text))
            self.out.flush()
            self._streamed = True

    def _on_assistant_message(self, e: AssistantMessage) -> None:
        if self._streamed:
            self.out.write(self._stream_redactor.flush() + "\n")
            self._streamed = False
        elif e.content.strip():
            self._w(e.content.strip())

    def _on_tool_call_started(self, e: ToolCallStarted) -> None:
        self._open[e.call_id] = e.label or e.name
        self._w(f"→ {e.label or e.name}", "cyan")

    def _on_tool_call_finished(self, e: ToolCallFinished) -> None:
        self._labelling = self._labelling or len(self._open) > 1  # concurrent calls: say which output is which
        label = self._open.pop(e.call_id, e.name)
        several, self._labelling = self._labelling, bool(self._open) and self._labelling
        if e.outcome == Outcome.FINISHED:
            return
        if several:
            self._w(f"← {label}", "dim")
        self._preview(e.text, e.is_error, edits=bool(e.data.get("file_edits")))

    def _preview(self, text: str, is_error: bool, edits: bool = False) -> None:
        """The first lines of a tool's or command's output (an edit's diff is drawn by FileEdited)."""
        lines = text.splitlines() or [""]
        if edits and not is_error:
            lines = [ln for ln in lines if not ln.startswith(("---", "+++", "@@", " ", "+", "-"))][:1]
        style = "red" if is_error else "dim"
        for line in lines[:PREVIEW_LINES]:
            self._w(f"  {line}", style)
        if len(lines) > PREVIEW_LINES:
            self._w(f"  … {len(lines) - PREVIEW_LINES} more lines", "dim")

    def _on_file_edited(self, e: FileEdited) -> None:
        for line in e.diff.splitlines()[2:]:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            self._w(f"  {line}", style)

    def _on_plan_updated(self, e: PlanUpdated) -> None:
        for i, step in enumerate(e.steps, 1):
            self._w(f"  {MARK.get(step.get('status', ''), '[ ]')} {i}. {step.get('step', '')}", "dim")

    def _on_approval_requested(self, e: ApprovalRequested) -> None:
        self._w(f"? approval needed for {e.tool} ({e.kind}): {e.summary}", "yellow")

    def _on_approval_resolved(self, e: ApprovalResolved) -> None:
        if e.decision == "deny" and e.by == "user":  # policy denials show as the tool's error line
            self._w(f"  denied: {e.reason}", "yellow")

    def _on_context_evicted(self, e: ContextEvicted) -> None:
        self._w(f"· evicted {plural(len(e.call_ids), 'old tool output')} ({e.tokens_before} → {e.tokens_after} tokens)", "dim")

    def _on_context_compacted(self, e: ContextCompacted) -> None:
        self._w(f"· compacted {plural(e.dropped, 'message')} ({e.tokens_before} → {e.tokens_after} tokens)", "dim")

    def _on_notice(self, e: Notice) -> None:
        self._w(f"! {e.text}", "yellow" if e.level != "info" else "dim")

    def _on_error(self, e: ErrorOccurred) -> None:
        self._w(f"error ({e.kind}): {e.message}", "red")

    def _on_session_finished(self, e: SessionFinished) -> None:
        self._w("")
        self._w(f"{e.status}" + (f" ({e.limit})" if e.limit else ""), "bold")
        if e.summary:
            self._w(e.summary.strip())
        files = ", ".join(e.files_changed) or "none"
        verified = "verified" if e.verified else "not verified"
        self._w(
            f"steps {e.steps} · tokens in {e.input_tokens} (cache read {e.cache_read_tokens or e.cached_tokens}, "
            f"written {e.cache_write_tokens}) out {e.output_tokens} · "
            f"cost {format_cost(e.cost)} · files changed: {files} · {verified}", "dim",
        )
