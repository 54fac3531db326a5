"""The Session: front ends submit ops and consume events; the log records every durable event; the state is the
fold of the events (agent/core/state.py)."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agent.core.approval import Policy
from agent.backends.base import Model
from agent.core.checkpoints import SessionCheckpoints
from agent.context.compaction import compact_now
from agent.settings.config import Settings
from agent.context.manager import ContextManager
from agent.core.events import (
    ApprovalRequested, ApprovalResolved, CheckpointsListed, CommitDrafted, CommitMade, DiffShown, Event,
    IndexProgress, ModelSwitched, Notice, SessionFinished, SessionStarted, TurnEnded, TurnStatus,
)
from agent.core.ops import (
    Commit, Compact, DraftCommit, Interrupt, ListCheckpoints, Op, ResolveApproval, Rewind, RunShell, ShowDiff,
    Shutdown, SubmitTurn, SwitchModel, Undo,
)
from agent.core.host import ModelFactory, ShellJobs
from agent.log.writer import SessionLog
from agent.core.loop import close_open_calls, run_turn
from agent.context.scratchpad import FactNumbers, Scratchpad
from agent.core.session_git import draft, list_checkpoints, make_commit, rewind
from agent.core.state import SessionState, Totals
from agent.core.user_shell import cancel_user_command, start_user_command
from tools.base import ApprovalKind, Tool, ToolContext

BUSY = {Compact: "compaction", Undo: "undo", Rewind: "rewind", Commit: "commit"}  # ops that wait for the running turn


class Session:
    """One conversation with the agent: `submit(op)` in, `events()` out; `state` is read-only for front ends."""

    def __init__(
        self, *, session_id: str, settings: Settings, model: Model, root: Path, tools: dict[str, Tool],
        context: ContextManager, log: SessionLog | None = None, policy: Policy | None = None,
        model_factory: ModelFactory | None = None,
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
        self.model_factory = model_factory
        self.compact_model: Model | None = None  # the summariser; built from settings.compact_model on first use
        self._state = SessionState(context=context.book, model=model.name)
        self.checkpoints = SessionCheckpoints(root, session_id)
        self.shell = ShellJobs()
        self.tool_ctx = ToolContext(
            root=root, default_timeout=settings.command_timeout, syntax_gate=settings.syntax_gate,
            extra={"scratchpad": self.pad, "fact_numbers": FactNumbers(self.pad), "sandbox": settings.sandbox,
                   "network": settings.network, "pass_env": tuple(settings.pass_env),
                   "on_progress": self._index_progress},
        )
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._approvals: dict[str, asyncio.Future[ResolveApproval]] = {}
        self._turn: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self.log_error: str | None = None
        self.limit_hit = ""  # the limit that stopped the turn (the loop or the --timeout watchdog sets it)

    # ---- the state, read only ----

    @property
    def state(self) -> SessionState:
        """Everything the session knows, folded from its events (read it, never write it)."""
        return self._state

    @property
    def history(self) -> list[dict[str, Any]]:
        """The conversation as the model gets it."""
        return self._state.history

    @property
    def pad(self) -> Scratchpad:
        """The scratchpad (facts and plan)."""
        return self._state.pad

    @property
    def totals(self) -> Totals:
        """Running counts: steps, tokens, cost, files."""
        return self._state.totals

    # ---- events out ----

    def emit(self, event: Event) -> None:
        """Record a durable event in the log, fold it into the state, then hand it to the front end."""
        if self.log is not None and event.durable and self.log_error is None:
            try:
                self.log.write(event)
            except Exception as exc:  # disk full, unwritable dir: report once, stop the turn cleanly
                self.log_error = str(exc)
                self._events.put_nowait(Notice(text=f"session log failed, stopping: {exc}", level="error"))
                if self._turn and not self._turn.done():
                    self._turn.cancel()
        self.context.observe(event)  # the token counter's calibration (provider usage), not session state
        self._state.apply(event)
        self._events.put_nowait(event)

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
        running = bool(self._turn and not self._turn.done())
        if isinstance(op, SubmitTurn):
            if running:
                self.emit(Notice(text="a turn is already running; wait for it or interrupt it", level="warning"))
                return
            self._turn = asyncio.ensure_future(self._run_turn(op.text))
        elif isinstance(op, ResolveApproval):
            future = self._approvals.pop(op.request_id, None)
            if future and not future.done():
                future.set_result(op)
        elif isinstance(op, Interrupt):
            cancel_user_command(self)
            if running and self._turn:
                self._turn.cancel()
        elif isinstance(op, RunShell):
            start_user_command(self, op.command, running)
        elif isinstance(op, (ShowDiff, ListCheckpoints, DraftCommit)):
            asyncio.ensure_future(self._answer(op))
        elif isinstance(op, SwitchModel):  # from the next model request on, even within a running turn
            asyncio.ensure_future(self._switch_model(op.model))
        elif isinstance(op, tuple(BUSY)):
            self._between_turns(op, running)
        elif isinstance(op, Shutdown):
            asyncio.ensure_future(self._shutdown(op.status))

    def _between_turns(self, op: Op, running: bool) -> None:
        """Ops that rewrite what a running turn is using: they wait for it to end."""
        if running:
            what = BUSY[type(op)]
            self.emit(Notice(text=f"{what} waits for the running turn: let it finish or interrupt it", level="warning"))
        elif isinstance(op, Compact):
            asyncio.ensure_future(self._compact(op.focus))
        elif isinstance(op, Rewind):
            asyncio.ensure_future(self._rewind(op.sha))
        elif isinstance(op, Commit):
            asyncio.ensure_future(self._commit(op.message))
        else:
            asyncio.ensure_future(self._undo())

    def _index_progress(self, done: int, total: int) -> None:
        """Symbol-index build progress, reported from a worker thread, as events on the loop's thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.emit, IndexProgress(done=done, total=total))

    def start(self, resumed: bool = False) -> None:
        """Announce the session."""
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.emit(SessionStarted(session_id=self.id, model=self.model.name, root=str(self.root), resumed=resumed))
        from tools.symbols.lazy import start_background  # tree-sitter: the index fills in behind; lookups never wait

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
        status = TurnStatus.NOT_COMPLETED
        watchdog = None
        if self.settings.timeout:
            watchdog = asyncio.get_running_loop().call_later(self.settings.timeout, self._time_up)
        try:
            status = await run_turn(self, text)
        except asyncio.CancelledError:
            status = (TurnStatus.LOG_ERROR if self.log_error else TurnStatus.LIMIT_REACHED if self.limit_hit
                      else TurnStatus.INTERRUPTED)
            close_open_calls(self, "stopped: " + (self.limit_hit or "interrupted by the user"))
        finally:
            if watchdog:
                watchdog.cancel()
        self.emit(TurnEnded(status=status, limit=self.limit_hit))

    def _time_up(self) -> None:
        """The --timeout watchdog: stop the turn wherever it is (a tool, a model call)."""
        self.limit_hit = f"timeout ({self.settings.timeout:.0f}s)"
        self.emit(Notice(text=f"limit reached: {self.limit_hit}", level="warning"))
        if self._turn and not self._turn.done():
            self._turn.cancel()

    async def wait_turn(self) -> TurnStatus:
        """Wait for the running turn to end; returns its status."""
        if self._turn:
            try:
                await asyncio.shield(self._turn)
            except asyncio.CancelledError:
                if not self._turn.done():
                    raise
        return self._state.last_status

    async def request_approval(self, tool: str, kind: ApprovalKind, summary: str, pattern: str,
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

    def summariser(self) -> Model:
        """The compaction model: compact_model if set, else Settings.compact_model (built once), else the model."""
        if self.compact_model is None and self.settings.compact_model and self.model_factory is not None:
            self.compact_model = self.model_factory(self.settings.compact_model)[0]
        return self.compact_model or self.model

    async def _compact(self, focus: str) -> None:
        """User-requested compaction."""
        self.emit(Notice(text=await compact_now(self, focus, reason="user")))

    async def _undo(self) -> None:
        """Restore the previous checkpoint."""
        self.emit(Notice(text=await asyncio.to_thread(self.checkpoints.undo)))

    async def _rewind(self, sha: str) -> None:
        """Restore one of the session's checkpoints (through undo)."""
        self.emit(Notice(text=await asyncio.to_thread(rewind, self, sha)))

    async def _answer(self, op: ShowDiff | ListCheckpoints | DraftCommit) -> None:
        """Ops that only read the working tree, answered by one event each."""
        if isinstance(op, ShowDiff):
            self.emit(DiffShown(text=await asyncio.to_thread(self.checkpoints.diff)))
        elif isinstance(op, ListCheckpoints):
            self.emit(CheckpointsListed(rows=await asyncio.to_thread(list_checkpoints, self)))
        else:
            message, files = await asyncio.to_thread(draft, self)
            self.emit(CommitDrafted(message=message, files=files))

    async def _commit(self, message: str) -> None:
        """Commit the session's files with `message` (or the drafted one)."""
        if not message.strip():
            message = (await asyncio.to_thread(draft, self))[0]
        if not message:
            self.emit(CommitMade(sha="", message="", text="commit: not made: the session changed no files"))
            return
        sha, text = await asyncio.to_thread(make_commit, self, message)
        self.emit(CommitMade(sha=sha, message=message, text=text))

    async def _switch_model(self, name: str) -> None:
        """Talk to `name` from the next request on; a model that cannot be built keeps the current one."""
        if self.model_factory is None:
            self.emit(Notice(text=f"cannot switch to {name!r}: this session has no model factory", level="error"))
            return
        try:
            model, settings = await asyncio.to_thread(self.model_factory, name)
            await asyncio.to_thread(self.context.configure, model.name, settings)
        except Exception as exc:
            self.emit(Notice(text=f"cannot use {name!r}: {exc} (keeping {self.model.name})", level="error"))
            return
        self.model, self.settings = model, settings
        self.emit(ModelSwitched(model=model.name))

    async def _shutdown(self, status: TurnStatus | None = None) -> None:
        """Finish: stop any turn, write the result, close the log, end the event stream."""
        if self._closed:
            return
        self._closed = True
        cancel_user_command(self)
        if self._turn and not self._turn.done():
            self._turn.cancel()
            await asyncio.gather(self._turn, return_exceptions=True)
        self.emit(self.result(status))
        if self.log:
            self.log.close()
        self._events.put_nowait(None)

    def result(self, status: TurnStatus | str | None = None) -> SessionFinished:
        """The final result object."""
        state, t = self._state, self._state.totals
        return SessionFinished(
            status=status or state.last_status, session_id=self.id, log_path=str(self.log.path) if self.log else "",
            summary=state.summary, steps=t.steps, input_tokens=t.input_tokens,
            output_tokens=t.output_tokens, cached_tokens=t.cached_tokens, cost=t.cost if t.steps else None,
            files_changed=list(t.files), verified=state.verified, peak_context_tokens=self.context.peak_tokens,
            compactions=self.context.compactions, limit=state.limit or None, cache_read_tokens=t.cache_read_tokens,
            cache_write_tokens=t.cache_write_tokens,
        )
