"""The approval dialog: allow once, always for this session, or deny with a reason for the model."""
from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from agent.core.events import ApprovalRequested
from agent.core.ops import ResolveApproval


class ApprovalScreen(ModalScreen[ResolveApproval]):
    """Asks about one ApprovalRequested; dismisses with the ResolveApproval op to submit."""

    BINDINGS = [
        Binding("a", "allow", "Allow once"),
        Binding("s", "always", "Always"),
        Binding("d", "deny", "Deny"),
        Binding("escape", "escape", "Deny", show=False),
    ]

    def __init__(self, request: ApprovalRequested) -> None:
        super().__init__(classes="approval")
        self.request = request

    def compose(self) -> ComposeResult:
        """The question, what would run, the choices and a reason box for a denial."""
        r = self.request
        with Vertical(id="approval-box"):
            yield Static(Text(f"Allow {r.tool} ({r.kind})?", style="bold"), id="approval-title")
            yield Static(Text(r.summary), id="approval-summary")
            if r.detail:  # e.g. the diff an edit would make: approve what you can see
                yield VerticalScroll(Static(Syntax(r.detail.rstrip("\n"), "diff", theme="ansi_dark", word_wrap=True)),
                                     id="approval-detail")
            if r.reason:  # e.g. a destructive command, asked about even in auto mode
                every = "" if r.always else " (asked in every approval mode, auto included)"
                yield Static(Text(f"Why pith asks: {r.reason}{every}", style="bold yellow"), id="approval-reason")
            if r.pattern and not r.always:
                yield Static(Text("Asked every time: 'always' cannot cover a command like this", style="dim"),
                             id="approval-pattern")
            elif r.pattern:
                scope = f"every {r.tool} call" if r.pattern in (r.tool, "*") else f"{r.tool} calls matching {r.pattern!r}"
                yield Static(Text(f"Always = allow {scope} for the rest of this session", style="dim"),
                             id="approval-pattern")
            with Horizontal(id="approval-buttons"):
                yield Button("Allow once (a)", id="allow", variant="success")
                if r.always:
                    yield Button("Always this session (s)", id="always", variant="primary")
                yield Button("Deny (d)", id="deny", variant="error")
            yield Input(placeholder="reason for the model (Enter to deny)", id="deny-reason")

    def on_mount(self) -> None:
        """The reason box appears only after Deny."""
        self.query_one("#deny-reason", Input).display = False
        self.query_one("#allow", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Map buttons to actions."""
        event.stop()
        {"allow": self.action_allow, "always": self.action_always, "deny": self.action_deny}[event.button.id or "deny"]()

    def _answer(self, decision: str, reason: str = "") -> None:
        """Close with the op."""
        self.dismiss(ResolveApproval(request_id=self.request.request_id, decision=decision, reason=reason))

    def action_allow(self) -> None:
        """Allow this call once."""
        if not self._reason_open():
            self._answer("allow")

    def action_always(self) -> None:
        """Allow calls like this for the rest of the session (not offered when it would ask again anyway)."""
        if not self._reason_open() and self.request.always:
            self._answer("always")

    def action_deny(self) -> None:
        """Open the reason box (a second Deny sends it)."""
        box = self.query_one("#deny-reason", Input)
        if box.display:
            self._answer("deny", box.value.strip() or "denied by the user")
            return
        box.display = True
        box.focus()

    def action_escape(self) -> None:
        """Escape: back to the choices from the reason box; otherwise deny without a reason."""
        box = self.query_one("#deny-reason", Input)
        if box.display:
            box.display = False
            self.query_one("#deny", Button).focus()
            return
        self._answer("deny", "denied by the user")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the reason box denies with that reason."""
        event.stop()
        self._answer("deny", event.value.strip() or "denied by the user")

    def _reason_open(self) -> bool:
        """True while the user types a reason (letters go to the box, not to shortcuts)."""
        return bool(self.query_one("#deny-reason", Input).display)
