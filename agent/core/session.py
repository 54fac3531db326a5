"""The Session: front ends submit ops and consume events; the log records every durable event."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.core.approval import Policy
from agent.backends.base import Model
from agent.settings.config import Settings
from agent.context.manager import ContextManager
from agent.core.events import (
    ApprovalRequested, ApprovalResolved, AssistantMessage, Compact, Event, FileEdited, Interrupt, ModelUsage, Op,
    ResolveApproval, SessionFinished, SessionStarted, Shutdown, SubmitTurn, ToolCallFinished, TurnEnded, Undo,
    Notice, IndexProgress, Rewind, RunShell,
)
from agent.log.writer import SessionLog
from agent.context.scratchpad import Scratchpad
from tools.base import Tool, ToolContext


@dataclass
class Totals:
    """Running totals for the result object."""

    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # = cache_read_tokens
    cost: float | None = 0.0
    files: list[str] = field(default_factory=list)
    last_status: str = "not_completed"
    summary: str = ""
    verified: bool = False
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


class Session:
    """One conversation with the agent: `submit(op)` in, `events()` out."""

    def __init__(
        self, *, session_id: str, settings: Settings, model: Model, root: Path, tools: dict[str, Tool],
        context: ContextManager, log: SessionLog | None = None, policy: Policy | None = None,
    ) -> None:
        self.id = session_id
        self.settings = settings
        self.model = model
        self.root = root
        self.tools = tools
        self.context = context
        self.log = log
        self.policy = policy or Policy(mode=settings.approve, allow=settings.allow, deny=settings.deny)
        self.policy.sandbox = settings.sandbox
        self.history: list[dict[str, Any]] = []
        self.pad = Scratchpad()
        self.totals = Totals()
        self.tool_ctx = ToolContext(
            root=root, default_timeout=settings.command_timeout, syntax_gate=settings.syntax_gate,
            extra={"scratchpad": self.pad, "sandbox": settings.sandbox, "network": settings.network,
                   "pass_env": tuple(settings.pass_env), "on_progress": self._index_progress},
        )
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._approvals: dict[str, asyncio.Future[ResolveApproval]] = {}
        self._turn: asyncio.Task[None] | None = None
        self._closed = False
        self.log_error: str | None = None
        self.limit_hit = ""
        self.model_error: Exception | None = None

    # ---- events out ----

    def emit(self, event: Event) -> None:
        """Record a durable event in the log, then hand it to the front end."""
        if self.log is not None and event.durable and self.log_error is None:
            try:
                self.log.write(event)
            except Exception as exc:  # disk full, unwritable dir: report once, stop the turn cleanly
                self.log_error = str(exc)
                self._events.put_nowait(Notice(text=f"session log failed, stopping: {exc}", level="error"))
                if self._turn and not self._turn.done():
                    self._turn.cancel()
        self._track(event)
        self._events.put_nowait(event)

    def _track(self, event: Event) -> None:
        """Keep totals and the context manager in step with the event stream."""
        self.context.observe(event)
        if isinstance(event, (AssistantMessage, ModelUsage)):
            self.totals.add(event)
        elif isinstance(event, FileEdited) and event.path not in self.totals.files:
            self.totals.files.append(event.path)

    async def events(self) -> AsyncIterator[Event]:
        """Every event, in order, until the session shuts down."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    # ---- ops in ----

    def submit(self, op: Op) -> None:
        """Accept an op from a front end; never blocks."""
        if isinstance(op, SubmitTurn):
            if self._turn and not self._turn.done():
                self.emit(Notice(text="a turn is already running; wait for it or interrupt it", level="warning"))
                return
            self._turn = asyncio.ensure_future(self._run_turn(op.text))
        elif isinstance(op, ResolveApproval):
            future = self._approvals.pop(op.request_id, None)
            if future and not future.done():
                future.set_result(op)
        elif isinstance(op, Interrupt):
            from agent.core.user_shell import cancel_user_command

            cancel_user_command(self)
            if self._turn and not self._turn.done():
                self._turn.cancel()
        elif isinstance(op, RunShell):
            from agent.core.user_shell import start_user_command

            start_user_command(self, op.command, bool(self._turn and not self._turn.done()))
        elif isinstance(op, (Compact, Undo, Rewind)):
            if self._turn and not self._turn.done():  # both rewrite state the running turn is using
                what = {Compact: "/compact", Undo: "/undo", Rewind: "/rewind"}[type(op)]
                self.emit(Notice(text=f"{what} waits for the running turn: let it finish or interrupt it (Ctrl-C)",
                                 level="warning"))
            elif isinstance(op, Compact):
                asyncio.ensure_future(self._compact(op.focus))
            elif isinstance(op, Rewind):
                asyncio.ensure_future(self._rewind(op.sha))
            else:
                asyncio.ensure_future(self._undo())
        elif isinstance(op, Shutdown):
            asyncio.ensure_future(self._shutdown())

    def _index_progress(self, done: int, total: int) -> None:
        """Symbol-index build progress, reported from a worker thread, as events on the loop's thread."""
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.emit, IndexProgress(done=done, total=total))

    def start(self, resumed: bool = False) -> None:
        """Announce the session."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.emit(SessionStarted(session_id=self.id, model=self.model.name, root=str(self.root), resumed=resumed))
        from tools.symbols.lazy import start_background  # the symbol index fills in behind; lookups never wait

        start_background(self.root, self.tool_ctx.cache_dir, self._index_progress)
        self._sandbox_notice()

    def _sandbox_notice(self) -> None:
        """Say once when commands run unconfined: sandbox off, or none available (probed off the event loop)."""
        from tools.sandbox import notice, support

        mode = self.settings.sandbox
        if mode == "off" or self._loop is None:
            text = notice(mode, support(self.root) if mode != "off" else None)  # type: ignore[arg-type]
            if text:
                self.emit(Notice(text=text, level="warning"))
            return
        probe = self._loop.run_in_executor(None, support, self.root)
        probe.add_done_callback(lambda done: self._probed(mode, done))

    def _probed(self, mode: str, done: asyncio.Future[Any]) -> None:
        """Emit the sandbox notice once the probe is back."""
        from tools.sandbox import notice

        text = "" if done.cancelled() or done.exception() else notice(mode, done.result())
        if text and not self._closed:
            self.emit(Notice(text=text, level="warning"))

    async def _run_turn(self, text: str) -> None:
        """Run the agent loop for one user message."""
        from agent.core.loop import run_turn

        status = "not_completed"
        watchdog = None
        if self.settings.timeout:
            watchdog = asyncio.get_running_loop().call_later(self.settings.timeout, self._time_up)
        try:
            status = await run_turn(self, text)
        except asyncio.CancelledError:
            status = "log_error" if self.log_error else "limit_reached" if self.limit_hit else "interrupted"
            from agent.core.loop import close_open_calls

            close_open_calls(self, "stopped: " + (self.limit_hit or "interrupted by the user"))
        finally:
            if watchdog:
                watchdog.cancel()
        self.totals.last_status = status
        self.emit(TurnEnded(status=status))

    def _time_up(self) -> None:
        """The --timeout watchdog: stop the turn wherever it is (a tool, a model call)."""
        self.limit_hit = f"timeout ({self.settings.timeout:.0f}s)"
        self.emit(Notice(text=f"limit reached: {self.limit_hit}", level="warning"))
        if self._turn and not self._turn.done():
            self._turn.cancel()

    async def wait_turn(self) -> str:
        """Wait for the running turn to end; returns its status."""
        if self._turn:
            try:
                await asyncio.shield(self._turn)
            except asyncio.CancelledError:
                if not self._turn.done():
                    raise
        return self.totals.last_status

    async def request_approval(self, tool: str, kind: str, summary: str, pattern: str,
                               detail: str = "", reason: str = "", always: bool = True) -> ResolveApproval:
        """Ask the front end and wait for its answer."""
        request_id = uuid.uuid4().hex[:8]
        future: asyncio.Future[ResolveApproval] = asyncio.get_running_loop().create_future()
        self._approvals[request_id] = future
        self.emit(ApprovalRequested(request_id=request_id, tool=tool, kind=kind, summary=summary, pattern=pattern,
                                    detail=detail, reason=reason, always=always))
        answer = await future
        if answer.decision == "always":
            self.policy.remember(tool, pattern)
        self.emit(ApprovalResolved(request_id=request_id, decision=answer.decision, reason=answer.reason))
        return answer

    async def _compact(self, focus: str) -> None:
        """User-requested compaction."""
        from agent.context.compaction import compact_now

        self.emit(Notice(text=await compact_now(self, focus, reason="user")))

    async def _undo(self) -> None:
        """Restore the previous checkpoint."""
        from agent.core.checkpoints import undo

        self.emit(Notice(text=await asyncio.to_thread(undo, self)))

    async def _rewind(self, sha: str) -> None:
        """Restore one of the session's checkpoints (through undo)."""
        from agent.core.session_git import rewind

        self.emit(Notice(text=await asyncio.to_thread(rewind, self, sha)))

    async def _shutdown(self) -> None:
        """Finish: stop any turn, write the result, close the log, end the event stream."""
        if self._closed:
            return
        self._closed = True
        from agent.core.user_shell import cancel_user_command

        cancel_user_command(self)
        if self._turn and not self._turn.done():
            self._turn.cancel()
            await asyncio.gather(self._turn, return_exceptions=True)
        self.emit(self.result())
        if self.log:
            self.log.close()
        self._events.put_nowait(None)

    def result(self, status: str | None = None, limit: str = "") -> SessionFinished:
        """The final result object."""
        t = self.totals
        return SessionFinished(
            status=status or t.last_status, session_id=self.id, log_path=str(self.log.path) if self.log else "",
            summary=t.summary, steps=t.steps, input_tokens=t.input_tokens,
            output_tokens=t.output_tokens, cached_tokens=t.cached_tokens, cost=t.cost if t.steps else None,
            files_changed=list(t.files),
            verified=t.verified, peak_context_tokens=self.context.peak_tokens, compactions=self.context.compactions,
            limit=limit or self.limit_hit or None, cache_read_tokens=t.cache_read_tokens,
            cache_write_tokens=t.cache_write_tokens,
        )

    def record_result(self, event: ToolCallFinished) -> None:
        """Emit a tool result and the file edits it reports."""
        self.emit(event)
        for edit in event.data.get("file_edits", []) if not event.is_error else []:
            self.emit(FileEdited(path=edit["path"], diff=edit.get("diff", ""), before_hash=edit.get("before_hash"),
                                 after_hash=edit.get("after_hash")))
            from tools.symbols.lazy import note_edit

            note_edit(self.root, self.tool_ctx.cache_dir, edit["path"])  # re-tag the file in the index now
