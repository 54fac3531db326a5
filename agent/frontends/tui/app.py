"""PithApp: the textual front end; it only consumes session events and submits ops."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from agent.core.events import (
    ApprovalRequested, CheckpointsListed, CommitDrafted, Event, ModelSwitched, SessionFinished, TurnEnded,
)
from agent.core.ops import Interrupt, ResolveApproval, Shutdown, SubmitTurn
from agent.frontends.tui import habits
from agent.frontends.tui.boot import in_daemon_thread
from agent.frontends.tui.launch import Launch
from agent.frontends.tui.screens.approval import ApprovalScreen
from agent.frontends.tui.screens.help import HelpScreen
from agent.frontends.tui.view import EventView
from agent.frontends.tui.widgets.blocks import ToolBlock
from agent.frontends.tui.widgets.completion import CompletionController, CompletionMenu
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.conversation import MAX_BLOCKS, Conversation
from agent.frontends.tui.widgets.hints import JumpHint, QueuedBar
from agent.frontends.tui.widgets.panels import SidePanel, StatusBar
from agent.frontends.tui.widgets.timeline import ContextChart

if TYPE_CHECKING:
    from agent.frontends.tui.history_store import HistoryStore
    from agent.core.session import Session

FLUSH_S = 0.05
QUIT_WINDOW_S = 2.0
SHUTDOWN_WAIT_S = 10.0
NARROW = 100


class PithApp(App[None]):
    """The pith terminal UI."""

    CSS_PATH = "pith.tcss"
    TITLE = "pith"
    BINDINGS = [
        Binding("ctrl+c", "interrupt", "Interrupt", priority=True),
        Binding("ctrl+q", "quit_pith", "Quit", priority=True),
        Binding("ctrl+b", "toggle_side", "Panel"),
        Binding("ctrl+o", "toggle_tool", "Last tool"),
        Binding("ctrl+l,ctrl+end", "scroll_end", "End", show=False),
        Binding("escape", "focus_composer", "Composer", show=False),
        Binding("end", "jump_end", "Latest", show=False, priority=True),
        Binding("pageup", "page(-1)", "Scroll up", show=False, priority=True),
        Binding("pagedown", "page(1)", "Scroll down", show=False, priority=True),
        Binding("f1", "help", "Help"),
        Binding("ctrl+r", "history_search", "History", show=False),
    ]

    def __init__(self, launch: Launch, task: str | None = None, resume: Path | None = None, frozen: bool = False,
                 cap: int = MAX_BLOCKS, t0: float | None = None, autostart: bool = True) -> None:
        super().__init__()
        self.launch = launch
        self.first_task = task
        self.resume_path = resume
        self.frozen = frozen
        self.cap = cap
        self.autostart = autostart
        self.t0 = t0 if t0 is not None else time.perf_counter()
        self.first_paint_s: float | None = None
        self.session: Session | None = None
        self.view: EventView | None = None
        self.busy = False
        self.finished = asyncio.Event()
        self.turn_done = asyncio.Event()
        self._last_ctrl_c = 0.0
        self._boot_error: str | None = None
        self._side_chosen = False
        self.shell_running = False  # a `!command` is running
        self.turn_t0 = 0.0  # when the running turn's user message came
        self.history: HistoryStore | None = None  # the repository's input history (habits.setup)
        self.completion: CompletionController | None = None
        self.user_commands_dir: Path | None = None  # None: the user's config folder

    def compose(self) -> ComposeResult:
        """Conversation and composer on the left, the side panel on the right, status and footer below."""
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Conversation(cap=self.cap, id="conversation")
                yield JumpHint(id="jump-hint")
                yield QueuedBar(id="queued")
                yield CompletionMenu(id="completion")
                yield Composer(id="composer", placeholder="Ask pith to do something · Enter sends · /help")
            yield SidePanel(id="side")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        """Wire the view, then build the session after the first paint."""
        self.view = EventView(self.query_one(Conversation), self.query_one(SidePanel), self.query_one(StatusBar),
                              frozen=self.frozen, ask=self.ask_approval, dialog=self.open_answer)
        self.query_one(StatusBar).set(model=self.launch.settings.model if not self.frozen else "", state="starting…")
        composer = self.query_one(Composer)
        composer.cursor_blink = not self.frozen  # snapshots must not depend on the blink phase
        composer.focus()
        habits.setup(self)
        self.set_interval(FLUSH_S, self.view.flush)
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        """First paint done: note the time and start building the session in the background."""
        self.first_paint_s = time.perf_counter() - self.t0
        if self.autostart:
            self.run_worker(self.boot(), name="boot", group="boot")

    async def boot(self) -> None:
        """Build (or resume) the session off the event loop, then attach it."""
        try:
            if self.resume_path is not None:
                session = await in_daemon_thread(self.launch.resume, self.resume_path)
                self.draw_past(self.resume_path)
                self.attach(session, resumed=True)
            else:
                session = await in_daemon_thread(self.launch.new_session, self.first_task or "")
                self.attach(session)
        except Exception as exc:  # a bad model name or missing key: say so, keep the UI usable
            self._boot_error = str(exc)
            assert self.view is not None
            self.view.notice(f"cannot start a session: {exc}", "error")
            self.view.status.set(state="no session (fix the problem, then /model NAME or /clear)")
            return
        if self.first_task:
            self.send(self.first_task)
            self.first_task = None

    def draw_past(self, path: Path) -> None:
        """Render a resumed session's logged events (no dialogs)."""
        assert self.view is not None
        self.view.live = False
        try:
            for event in self.launch.past_events(path):
                self.view.handle(event)
        finally:
            self.view.live = True
        from agent.frontends.tui.resumed import remember

        remember(self.query_one(Composer), self.view.past_texts)

    def attach(self, session: Session, resumed: bool = False) -> None:
        """Make `session` the current one and start pumping its events."""
        assert self.view is not None
        self.session = session
        self.finished = asyncio.Event()
        self.view.attach(session.settings, session.model.name, resumed)
        self.run_worker(self._pump(session), name="pump", group="pump")
        session.start(resumed=resumed)

    async def _pump(self, session: Session) -> None:
        """Render the session's events as they come."""
        async for event in session.events():
            self.on_session_event(event)
        self.finished.set()

    def on_session_event(self, event: Event) -> None:
        """One event: render it and track the turn state."""
        assert self.view is not None
        try:
            self.view.handle(event)
        except Exception as exc:  # one odd event must not take the UI (and the session) down
            self.view.notice(f"could not show a {event.type} event: {exc}", "error")
        habits.on_event(self, event)
        if isinstance(event, TurnEnded):
            self.busy = False
            self.turn_done.set()
            while isinstance(self.screen, ApprovalScreen):  # an interrupted turn answers no more questions
                self.pop_screen()
            self.call_later(self.send_queued, event.status)
        elif isinstance(event, ModelSwitched):
            self.launch.model_switched(event.model)
        elif isinstance(event, SessionFinished):
            self.busy = False
            self.finished.set()

    def send(self, text: str) -> None:
        """Submit a user message as a new turn."""
        if self.session is None:
            assert self.view is not None
            if self._boot_error:
                self.view.notice("no session: " + self._boot_error, "warning")
            else:
                self.first_task = text if not self.first_task else self.first_task + "\n\n" + text
                self.view.notice("the session is still starting; this message will be sent when it is ready", "dim")
            return
        if self.busy:  # Claude Code's behaviour: queue it, show it, send it when the turn ends
            self.query_one(QueuedBar).push(text)
            return
        self.busy = True
        self.turn_done.clear()
        self.view.status.set(state="running")  # type: ignore[union-attr]
        self.session.submit(SubmitTurn(text))

    def submit_op(self, op: Any) -> None:
        """Hand an op to the session (if there is one)."""
        if self.session is not None:
            self.session.submit(op)

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        """A slash command or a message for the agent."""
        text = message.text.strip()
        if habits.submitted(self, text):  # saved to the history; `!command` runs here
            return
        if text.startswith("/"):
            from agent.frontends.tui.commands import run_command

            self.run_worker(run_command(self, text), group="command")
        else:
            self.send(text)

    def ask_approval(self, request: ApprovalRequested) -> None:
        """Show the approval dialog; its answer goes back as a ResolveApproval op."""
        if self.view is not None and self.view.tools:
            list(self.view.tools.values())[-1].waiting()

        def done(op: ResolveApproval | None) -> None:
            """Send the dialog's answer (closing it some other way denies)."""
            self.submit_op(op or ResolveApproval(request_id=request.request_id, decision="deny", reason="dialog closed"))

        self.push_screen(ApprovalScreen(request), done)

    def open_answer(self, answer: CheckpointsListed | CommitDrafted) -> None:
        """An answer that asks for a dialog (the checkpoint picker, the commit editor)."""
        from agent.frontends.tui.git_commands import open_answer

        open_answer(self, answer)

    def action_interrupt(self) -> None:
        """Ctrl+C: interrupt the running turn; a second Ctrl+C within 2 s quits."""
        now = time.monotonic()
        if now - self._last_ctrl_c < QUIT_WINDOW_S:
            self.run_worker(self.action_quit_pith(), group="quit")
            return
        self._last_ctrl_c = now
        if self.busy or self.shell_running:
            self.submit_op(Interrupt())
            self.notify("interrupting the turn · Ctrl+C again to quit", timeout=QUIT_WINDOW_S)
        else:
            self.notify("nothing to interrupt · Ctrl+C again (or Ctrl+Q) to quit", timeout=QUIT_WINDOW_S)

    async def end_session(self) -> None:
        """Shut the current session down and wait for its SessionFinished, so the log is complete."""
        if self.session is None:
            return
        self.session.submit(Shutdown())
        try:
            await asyncio.wait_for(self.finished.wait(), SHUTDOWN_WAIT_S)
        except asyncio.TimeoutError:
            pass
        self.session = None

    async def action_quit_pith(self) -> None:
        """Ctrl+Q: finish the session cleanly, then leave."""
        if self.view is not None:
            self.view.status.set(state="closing…")
        await self.end_session()
        self.exit()

    def action_toggle_side(self) -> None:
        """Show or hide the side panel."""
        side = self.query_one(SidePanel)
        side.display = not side.display
        self._side_chosen = True

    def on_resize(self, event: events.Resize) -> None:
        """Narrow terminals hide the side panel (Ctrl+B brings it back)."""
        if not self._side_chosen:
            self.query_one(SidePanel).display = event.size.width >= NARROW

    def action_toggle_tool(self) -> None:
        """Expand or collapse the newest tool call."""
        blocks = list(self.query(ToolBlock))
        if blocks:
            blocks[-1].collapsed = not blocks[-1].collapsed

    def action_scroll_end(self) -> None:
        """Jump to the newest block and follow it again."""
        self.query_one(Conversation).jump_to_latest()

    action_jump_end = action_scroll_end

    def on_context_chart_opened(self, _: ContextChart.Opened) -> None:
        """A click on the side panel's chart opens /context."""
        from agent.frontends.tui.commands import run_command

        self.run_worker(run_command(self, "/context"), group="command")

    def on_conversation_follow_changed(self, message: Conversation.FollowChanged) -> None:
        """Show the 'jump to latest' hint while the user is scrolled up."""
        self.query_one(JumpHint).display = not message.following

    def send_queued(self, status: str) -> None:
        """The turn ended: send what was queued, or hand it back to the composer after an interrupt."""
        from agent.frontends.tui.focus import send_queued

        send_queued(self, status)

    def action_focus_composer(self) -> None:
        """Escape: back to the composer from anywhere on the main screen."""
        self.query_one(Composer).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing always lands in the composer, wherever the focus is (a tool block, the side panel)."""
        from agent.frontends.tui.focus import redirect_typing

        redirect_typing(self, event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Page keys scroll the conversation only when no dialog is open; End jumps only when the composer is empty."""
        if action == "jump_end":
            from agent.frontends.tui.focus import end_jumps

            return end_jumps(self)
        return not (action == "page" and len(self.screen_stack) > 1)

    def action_page(self, direction: int) -> None:
        """PageUp / PageDown scroll the conversation while typing."""
        conversation = self.query_one(Conversation)
        (conversation.scroll_page_down if direction > 0 else conversation.scroll_page_up)(animate=False)

    def action_history_search(self) -> None:
        """Ctrl+R: search the input history of this repository."""
        habits.open_history_search(self)

    def action_help(self) -> None:
        """Show commands and keys."""
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Any) -> Any:
        """Ctrl+P lists pith's commands; its Quit completes the session log first."""
        from agent.frontends.tui.palette import system_commands

        return system_commands(self, super().get_system_commands(screen))
