"""Turning core events into conversation blocks, side-panel updates and status-bar changes."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from agent.settings.config import Settings
from agent.core.state import SessionState
from agent.core.events import (
    ApprovalRequested, ApprovalResolved, AssistantDelta, AssistantMessage, CheckpointsListed, CommandOutput,
    CommitDrafted, CommitMade, ContextCompacted,
    ContextEvicted, DiffShown, ErrorOccurred, Event, FileEdited, ModelSwitched, Notice, NoteAdded, Outcome,
    PlanUpdated, ReminderAdded, SessionFinished, SessionStarted, ShellRan, ShellStarted, ToolCallFinished,
    ToolCallStarted, TurnEnded, TurnStarted, TurnStatus, UserMessage,
)
from agent.frontends.tui.widgets.blocks import AssistantBlock, DiffBlock, NoticeBlock, ToolBlock, UserBlock
from agent.frontends.tui.widgets.conversation import Conversation
from agent.frontends.tui.widgets.panels import SidePanel, StatusBar, model_label, short_tokens
from agent.log.redact import Redactor

QUIET_END = (TurnStatus.FINISHED, TurnStatus.ANSWERED)


def planned_budget(model: str, settings: Settings | None) -> int | None:
    """The token budget the context manager uses for this model and these settings (None when unknown)."""
    if settings is None or not model:
        return None
    from agent.context.tokens import compute_budget

    try:
        return compute_budget(model, settings)[1]
    except Exception:
        return None


class EventView:
    """Renders every event; `live` is false while drawing a resumed session's past. `state` is the session's state
    folded from the events shown, with the core's reducer: the status bar's figures come from it."""

    def __init__(self, conversation: Conversation, side: SidePanel, status: StatusBar, frozen: bool = False,
                 ask: Callable[[ApprovalRequested], None] | None = None,
                 dialog: Callable[[CheckpointsListed | CommitDrafted], None] | None = None) -> None:
        self.conversation = conversation
        self.side = side
        self.status = status
        self.frozen = frozen
        self.ask = ask
        self.dialog = dialog  # opens the picker or editor an answer (CheckpointsListed, CommitDrafted) asks for
        self.settings: Settings | None = None  # the session's settings, once one is attached (for the budget)
        self.budget: int | None = None  # computed when a session is attached or switches model (not per reply)
        self.state = SessionState()  # the fold of this session's events (the core's reducer)
        self.current: AssistantBlock | None = None
        self.tools: dict[str, ToolBlock] = {}
        self.summaries: dict[str, str] = {}  # call id -> the `summary` argument of calls still running
        self.started: dict[str, float] = {}
        self.past_texts: list[str] = []  # what the user typed in a resumed session, for the Up-arrow history
        self._last_notice = ""
        self._compacted = False
        self.live = True
        self.redactor = Redactor.from_env()
        self._handlers: dict[type[Event], Callable[[Any], None]] = {
            SessionStarted: self._on_session_started, UserMessage: self._on_user_message,
            ReminderAdded: self._on_reminder_added, TurnStarted: self._on_turn_started,
            AssistantDelta: self._on_assistant_delta, AssistantMessage: self._on_assistant_message,
            ToolCallStarted: self._on_tool_call_started, CommandOutput: self._on_command_output,
            ToolCallFinished: self._on_tool_call_finished, ShellStarted: self._on_shell_started,
            ShellRan: self._on_shell_ran, FileEdited: self._on_file_edited, DiffShown: self._on_diff_shown,
            ModelSwitched: self._on_model_switched, CheckpointsListed: self._on_checkpoints_listed,
            CommitDrafted: self._on_commit_drafted, CommitMade: self._on_commit_made,
            ApprovalRequested: self._on_approval_requested, ApprovalResolved: self._on_approval_resolved,
            PlanUpdated: self._on_plan_updated, NoteAdded: self._on_note_added,
            ContextEvicted: self._on_context_evicted, ContextCompacted: self._on_context_compacted,
            Notice: self._on_notice, ErrorOccurred: self._on_error, TurnEnded: self._on_turn_ended,
            SessionFinished: self._on_session_finished,
        }
        if not frozen:  # snapshots must not depend on the clock
            conversation.set_interval(0.5, self.tick)

    def tick(self) -> None:
        """Update the elapsed time of every running tool call."""
        now = time.monotonic()
        for call_id, block in self.tools.items():
            if call_id in self.started:
                block.tick(now - self.started[call_id])

    def attach(self, settings: Settings, model: str, resumed: bool) -> None:
        """A session is attached: its budget, and for a resumed one the cost so far (folded from its log)."""
        self.settings = settings
        self.budget = planned_budget(model, settings)
        self.status.set(state="idle", budget=self.budget)
        if resumed and self.state.totals.steps:
            self.status.set_cost(self.state.totals.cost)

    def reset(self) -> None:
        """Forget the last session's figures: another session's events follow."""
        self.settings, self.budget = None, None
        self.state = SessionState()

    def use_model(self, model: str) -> None:
        """The session talks to `model` now: its name and budget in the status bar."""
        if self.settings is None:  # a resumed session's past: today's budget comes when it is attached
            self.status.set(model=model)
            return
        self.budget = planned_budget(model, self.settings)
        self.status.set(model=model, budget=self.budget)

    def handle(self, event: Event) -> None:
        """Render one event."""
        if not isinstance(event, Notice):
            self._last_notice = ""  # only back-to-back repeats are dropped
        self.state.apply(event)
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self.redactor.event(event))
        self.side.chart.record(event, self.budget)

    def skip(self, event: Event) -> None:
        """Fold an event without drawing it (a replay jump builds no widgets for what scrolls out of view)."""
        self.state.apply(event)

    def flush(self) -> None:
        """Render streamed text and command output queued since the last flush."""
        if self.current is not None and self.current._pending:
            self.current.flush()
            self.conversation.follow()
        for block in self.tools.values():
            if block.live_dirty:
                block.show_output()
                self.conversation.follow()

    def notice(self, text: str, level: str = "info") -> None:
        """Add a one-line notice."""
        self._last_notice = text
        self.conversation.add(NoticeBlock(text, level))

    def _on_session_started(self, e: SessionStarted) -> None:
        self.status.set(model=e.model)
        verb = "resumed session" if e.resumed else "new session"
        where = "" if self.frozen else f" {e.session_id} · {e.root}"
        self.notice(f"{verb}{where} · {model_label(e.model)}" + (" · /help for commands" if self.live else ""), "dim")

    def _on_user_message(self, e: UserMessage) -> None:
        self.current = None
        self.side.set_outcome("")
        if not self.live:
            self.past_texts.append(e.text)
        self.conversation.add(UserBlock(e.text))

    def _on_reminder_added(self, e: ReminderAdded) -> None:
        self.notice("reminder to the model: " + e.text.splitlines()[0][:100], "dim")

    def _on_turn_started(self, e: TurnStarted) -> None:
        if self.live:
            self.status.set(state=f"running · step {e.step}")

    def _on_assistant_delta(self, e: AssistantDelta) -> None:
        if self.current is None or self.current.final:
            self.current = AssistantBlock()
            self.conversation.add(self.current)
        self.current.feed(e.text)

    def _on_assistant_message(self, e: AssistantMessage) -> None:
        if self.current is not None and not self.current.final:
            self.current.finish(e.content)
        elif e.content.strip():
            block = AssistantBlock()
            self.conversation.add(block)
            block.finish(e.content)
        self.current = None
        totals = self.state.totals
        self.status.set(context_tokens=self.state.context.last_tokens, budget=self.budget,
                        model=self.state.model or self.status.model, cache_read=totals.cache_read_tokens,
                        cache_write=totals.cache_write_tokens)
        self.status.set_cost(totals.cost)

    def _on_tool_call_started(self, e: ToolCallStarted) -> None:
        self.current = None
        if isinstance(e.arguments.get("summary"), str):  # shown if the call turns out to finish the task
            self.summaries[e.call_id] = e.arguments["summary"]
        self.tools[e.call_id] = self.conversation.add(ToolBlock(e.call_id, e.name, e.label))  # type: ignore[assignment]
        if self.live:
            self.started[e.call_id] = time.monotonic()

    def _on_command_output(self, e: CommandOutput) -> None:
        block = self.tools.get(e.call_id)
        if block is not None:
            block.add_output(e.text)  # drawn by the next flush: a chatty command must not starve the keyboard

    def _on_tool_call_finished(self, e: ToolCallFinished) -> None:
        block = self.tools.pop(e.call_id, None)
        self.started.pop(e.call_id, None)
        if block is None:
            block = self.conversation.add(ToolBlock(e.call_id, e.name, e.name))  # type: ignore[assignment]
        duration = None if self.frozen else e.duration
        block.finish(e.text, e.is_error, duration, denied=bool(e.data.get("denied")))
        summary = self.summaries.pop(e.call_id, None)
        if summary and e.outcome == Outcome.FINISHED:
            done = AssistantBlock()
            self.conversation.add(done)
            done.add_class("summary")
            done.finish(summary)

    def _on_shell_started(self, e: ShellStarted) -> None:
        """The user's `!command` started: a running block that shows its live output."""
        self.current = None
        block = ToolBlock(e.call_id, "run", f"! {e.command}")
        self.tools[e.call_id] = block
        self.conversation.add(block)
        if self.live:
            self.started[e.call_id] = time.monotonic()

    def _on_shell_ran(self, e: ShellRan) -> None:
        """The user's `!command` and its output (a ShellRan event)."""
        self.current = None
        self.started.pop(e.call_id, None)
        block = self.tools.pop(e.call_id, None) or self.conversation.add(ToolBlock("shell", "run", f"! {e.command}"))
        block.finish(e.output, e.is_error, None if self.frozen else e.duration)  # type: ignore[attr-defined]

    def _on_file_edited(self, e: FileEdited) -> None:
        self.conversation.add(DiffBlock(e.path, e.diff))

    def _on_diff_shown(self, e: DiffShown) -> None:
        self.conversation.add(DiffBlock("session diff (/diff)", e.text))

    def _on_model_switched(self, e: ModelSwitched) -> None:
        self.use_model(e.model)
        self.notice(f"model switched to {e.model}", "dim")

    def _on_checkpoints_listed(self, e: CheckpointsListed) -> None:
        if not e.rows:
            self.notice("/rewind: this session has no checkpoints (pith takes one before its first change of each "
                        "turn)", "warning")
        elif self.live and self.dialog is not None:
            self.dialog(e)

    def _on_commit_drafted(self, e: CommitDrafted) -> None:
        if not e.files:
            self.notice("/commit: nothing to commit: the session changed no files (or they were undone)", "warning")
        elif self.live and self.dialog is not None:
            self.dialog(e)

    def _on_commit_made(self, e: CommitMade) -> None:
        self.notice(e.text, "info" if e.sha else "warning")

    def _on_approval_requested(self, e: ApprovalRequested) -> None:
        if not self.live:
            return
        self.status.set(state="waiting for approval")
        if self.ask is not None:
            self.ask(e)

    def _on_approval_resolved(self, e: ApprovalResolved) -> None:
        if self.live:
            self.status.set(state="running")
            for block in self.tools.values():
                block.approved()
        if e.decision == "deny":
            self.notice(f"⊘ denied: {e.reason}" if e.reason else "⊘ denied", "warning")
        elif e.decision == "always":
            self.notice("✓ allowed for the rest of this session", "dim")

    def _on_plan_updated(self, e: PlanUpdated) -> None:
        self.side.set_plan(self.state.pad.steps)

    def _on_note_added(self, e: NoteAdded) -> None:
        self.side.add_fact(e.fact)

    def _on_context_evicted(self, e: ContextEvicted) -> None:
        self.status.set(evictions=self.state.context.evictions, context_tokens=e.tokens_after)
        self.notice(f"✂ evicted {len(e.call_ids)} old tool outputs "
                    f"({short_tokens(e.tokens_before)} → {short_tokens(e.tokens_after)} tokens)", "mark")

    def _on_context_compacted(self, e: ContextCompacted) -> None:
        self._compacted = True
        self.status.set(compactions=self.state.context.compactions, context_tokens=e.tokens_after)
        self.side.set_compaction(e.summary, e.dropped, e.tokens_before, e.tokens_after, e.focus)
        self.notice(f"⇊ compacted {e.dropped} messages ({short_tokens(e.tokens_before)} → "
                    f"{short_tokens(e.tokens_after)} tokens); the summary is in the side panel", "mark")

    def _on_notice(self, e: Notice) -> None:
        # /compact: the core reports the outcome after the ContextCompacted mark (and a failure twice): show it once
        repeated = e.text == self._last_notice or (self._compacted and e.text.startswith("compacted "))
        self._compacted = False
        if not repeated:
            self.notice(e.text, e.level)
        if self.status.state.startswith("compacting"):  # /compact's outcome (done, nothing to do, failed) came
            self.status.set(state="idle")

    def _on_error(self, e: ErrorOccurred) -> None:
        self.notice(f"error ({e.kind}): {e.message}", "error")

    def _on_turn_ended(self, e: TurnEnded) -> None:
        self.current = None
        status = self.state.last_status
        if self.live:
            self.status.set(state="idle" if status in QUIET_END else status.replace("_", " "))
        if status not in QUIET_END:
            self.notice(f"turn ended: {status.replace('_', ' ')}", "warning")
        self.side.set_outcome(status)

    def _on_session_finished(self, e: SessionFinished) -> None:
        self.status.set(state="session ended")
