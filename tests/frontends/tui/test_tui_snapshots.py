"""SVG snapshots of the TUI from a fixed event stream (no clock, paths or ids): run `--snapshot-update` to accept."""
from __future__ import annotations

from pathlib import Path
import dataclasses
from typing import Any

from agent.settings.config import Settings
from agent.core.events import (
    ApprovalRequested, AssistantDelta, AssistantMessage, ContextCompacted, ContextEvicted, Event, FileEdited,
    NoteAdded, PlanUpdated, SessionStarted, ToolCallFinished, ToolCallStarted, TurnEnded, TurnStarted, UserMessage,
)
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.launch import Launch

SIZE = (120, 40)
DIFF = """--- a/shop/cart.py
+++ b/shop/cart.py
@@ -35,5 +35,5 @@
     def total(self) -> float:
         subtotal = sum(item.price * item.qty for item in self.items)
         percent = discount_percent(self.code)
-        return round_cents(subtotal - percent)
+        return round_cents(subtotal * (100 - percent) / 100)
"""
PLAN = [
    {"step": "Hypothesis: Cart.total subtracts the discount percent as money", "status": "done"},
    {"step": "Read Cart.total and discount_percent", "status": "done"},
    {"step": "Fix the arithmetic in Cart.total", "status": "done"},
    {"step": "Run the cart tests", "status": "in_progress"},
]


def tool(call_id: str, name: str, label: str, text: str, **extra: Any) -> list[Event]:
    """A started and finished tool call."""
    return [ToolCallStarted(call_id=call_id, name=name, arguments={}, label=label),
            ToolCallFinished(call_id=call_id, name=name, text=text, duration=0.1, **extra)]


def demo_events() -> list[Event]:
    """The demo session's events, fixed."""
    intro = "The discount looks like it is subtracted as a **flat amount** instead of a percentage. Plan, then read `Cart.total`."
    return [
        SessionStarted(session_id="20260101-000000-abcdef", model="scripted", root="/repo"),
        UserMessage(text="tests/test_cart.py::test_total_with_discount fails (expected 22.50). Fix it."),
        TurnStarted(step=1), AssistantDelta(text=intro[:40]), AssistantDelta(text=intro[40:]),
        AssistantMessage(step=1, content=intro, context_tokens=3012, model="scripted"),
        PlanUpdated(steps=[{**s, "status": "pending"} for s in PLAN]),
        *tool("c1", "plan", "plan (4 steps)", "plan recorded: 4 steps, 0 done"),
        *tool("c2", "grep", "grep def (total|discount_percent)", "shop/cart.py:35: def total(self)"),
        *tool("c3", "read_symbol", "read_symbol shop/cart.py:Cart.total", "35 def total(self) -> float: ..."),
        AssistantMessage(step=2, content="Confirmed: `percent` is a percentage.", context_tokens=4480, model="scripted"),
        NoteAdded(fact={"id": 1, "text": "Cart.total subtracts the percent as money", "path": "shop/cart.py",
                        "symbol": "Cart.total", "lines": "35-39"}),
        *tool("c4", "edit", "edit shop/cart.py", "edited shop/cart.py\n" + DIFF, data={"file_edits": [{"path": "shop/cart.py"}]}),
        FileEdited(path="shop/cart.py", diff=DIFF),
        PlanUpdated(steps=PLAN),
        *tool("c5", "run", "run python3 -m unittest -q tests.test_cart", "exit code 1\nFAILED (failures=1)", is_error=True),
        AssistantMessage(step=3, content="All three cart tests pass.", context_tokens=5120, model="scripted"),
        TurnEnded(status="answered"),
    ]


def context_events() -> list[Event]:
    """Evictions, a compaction, notes and a plan: what the context panel shows."""
    return [
        SessionStarted(session_id="x", model="openai/gpt-4o", root="/repo"),
        PlanUpdated(steps=PLAN),
        NoteAdded(fact={"id": 1, "text": "discount_percent returns a percentage", "path": "shop/pricing.py"}),
        NoteAdded(fact={"id": 2, "text": "tests run with python3 -m unittest"}),
        ContextEvicted(call_ids=["c1", "c2", "c3"], tokens_before=64000, tokens_after=41000),
        ContextCompacted(summary="Task: fix the discount.\nDecisions: percent is a percentage.\nFiles changed: shop/cart.py\n"
                                 "Tests: not yet run.", upto_index=12, tokens_before=41000, tokens_after=9000, dropped=14,
                         focus="the failing test"),
        AssistantMessage(step=9, content="Continuing from the summary.", context_tokens=9300, model="openai/gpt-4o",
                         cost=0.0123),
    ]


def priced(events: list[Event], total: float = 0.0123) -> list[Event]:
    """The events with the replies' costs adding up to `total` (the first reply carries it)."""
    costs = iter([total])
    return [dataclasses.replace(e, cost=next(costs, 0.0)) if isinstance(e, AssistantMessage) else e for e in events]


def fixed_app(events: list[Event], budget: int | None = None) -> PithApp:
    """An app with no live session that renders `events` (replies priced at $0.0123 in all) once mounted."""
    launch = Launch(settings=Settings(model="scripted"), root=Path("/repo"))
    app = PithApp(launch, autostart=False, frozen=True)
    app.fixed_events = priced(events)  # type: ignore[attr-defined]
    app.fixed_budget = budget  # type: ignore[attr-defined]
    return app


async def feed(pilot: Any) -> None:
    """Render the app's fixed events and let Markdown settle."""
    app = pilot.app
    app.view.budget = app.fixed_budget
    app.view.status.set(state="idle")
    for event in app.fixed_events:
        app.on_session_event(event)
    await pilot.pause(0.3)
    app.view.flush()
    await pilot.pause(0.2)


def test_snapshot_main_screen(snap_compare: Any) -> None:
    assert snap_compare(fixed_app(demo_events(), budget=180000), terminal_size=SIZE, run_before=feed)


def test_snapshot_diff_and_expanded_tool(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await feed(pilot)
        await pilot.press("ctrl+b", "ctrl+o")
        await pilot.pause(0.2)

    events = demo_events()[:-4]
    assert snap_compare(fixed_app(events), terminal_size=SIZE, run_before=run_before)


def test_snapshot_approval_dialog(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await feed(pilot)
        pilot.app.ask_approval(ApprovalRequested(request_id="r1", tool="run", kind="command",
                                                 summary="python3 -m unittest -q tests.test_cart", pattern="python3"))
        await pilot.pause(0.3)

    events = demo_events()[:11] + [ToolCallStarted(call_id="c9", name="run", arguments={},
                                                   label="run python3 -m unittest -q tests.test_cart")]
    assert snap_compare(fixed_app(events), terminal_size=SIZE, run_before=run_before)


def test_snapshot_context_panel(snap_compare: Any) -> None:
    assert snap_compare(fixed_app(context_events(), budget=100000), terminal_size=SIZE, run_before=feed)
