"""The side panel (plan, scratchpad facts, last compaction) and the status bar."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from agent.core.events import TurnStatus
from agent.frontends.tui.widgets.timeline import ContextChart

PLAN_MARKS = {"done": ("✓", "green"), "in_progress": ("▸", "bold yellow"), "pending": ("○", "dim"),
              "skipped": ("–", "dim"), "blocked": ("✗", "red")}


def short_tokens(n: int) -> str:
    """12345 -> '12.3k'."""
    if n >= 100_000:
        return f"{n / 1000:.0f}k"
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


def model_label(name: str) -> str:
    """A short model name: scripted models show the script's file name, not its full path."""
    if name.startswith("scripted:") and "/" in name:
        return "scripted:" + name.rsplit("/", 1)[1]
    return name


def plan_text(steps: list[dict[str, Any]]) -> Text:
    """The plan with a mark per status."""
    if not steps:
        return Text("no plan yet", style="dim")
    out = Text()
    for i, step in enumerate(steps, 1):
        mark, style = PLAN_MARKS.get(str(step.get("status", "")), ("○", "dim"))
        out.append(f"{mark} ", style=style)
        out.append(f"{i}. {step.get('step', '')}\n", style="strike dim" if step.get("status") == "done" else "")
    out.rstrip()
    return out


def fact_text(facts: list[dict[str, Any]]) -> Text:
    """Scratchpad facts with their pointers."""
    if not facts:
        return Text("no notes yet", style="dim")
    out = Text()
    for fact in facts:
        where = ":".join(str(fact[k]) for k in ("path", "symbol", "lines") if fact.get(k))
        out.append("• " + str(fact.get("text", "")))
        if where:
            out.append(f"  ({where})", style="dim")
        out.append("\n")
    out.rstrip()
    return out


class SidePanel(VerticalScroll):
    """Plan, scratchpad facts and what the last compaction dropped, updated live."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.steps: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []
        self.plan = Static(plan_text([]), id="plan")
        self.outcome = Static("", id="plan-outcome")
        self.outcome.display = False
        self.notes = Static(fact_text([]), id="notes")
        self.compaction = Static(Text("none yet", style="dim"), id="compaction")
        self.chart = ContextChart(id="context-chart")

    def compose(self):  # type: ignore[no-untyped-def]
        """Three titled sections."""
        yield Static("Plan", classes="side-title")
        yield self.plan
        yield self.outcome
        yield Static("Notes", classes="side-title")
        yield self.notes
        yield Static("Context (click: /context)", classes="side-title")
        yield self.chart
        yield Static("Last compaction", classes="side-title")
        yield self.compaction

    def set_plan(self, steps: list[dict[str, Any]]) -> None:
        """Replace the plan."""
        self.steps = list(steps)
        self.plan.update(plan_text(self.steps))

    def set_outcome(self, status: str) -> None:
        """Say how the last turn ended under the plan ('' hides it): the model may leave steps open."""
        self.outcome.display = bool(status)
        if not status:
            return
        open_steps = [i for i, s in enumerate(self.steps, 1) if s.get("status") in ("in_progress", "pending")]
        ok = status in (TurnStatus.FINISHED, TurnStatus.ANSWERED)
        line = Text("■ run finished" if status == TurnStatus.FINISHED else "■ answered" if ok else f"■ turn ended: "
                    f"{status.replace('_', ' ')}", style="bold green" if ok else "bold yellow")
        if open_steps and self.steps:
            line.append(f" (step {', '.join(map(str, open_steps))} left open by the model)", style="dim")
        self.outcome.update(line)

    def add_fact(self, fact: dict[str, Any]) -> None:
        """Append a scratchpad fact."""
        self.facts.append(fact)
        self.notes.update(fact_text(self.facts))

    def set_compaction(self, summary: str, dropped: int, before: int, after: int, focus: str) -> None:
        """Show what the last compaction dropped and its summary."""
        head = f"{dropped} messages dropped, {short_tokens(before)} → {short_tokens(after)} tokens"
        text = Text(head + (f" (focus: {focus})" if focus else "") + "\n", style="bold")
        text.append(summary.strip() or "(empty summary)")
        self.compaction.update(text)

    def reset(self) -> None:
        """Empty every section (a new session)."""
        self.steps, self.facts = [], []
        self.plan.update(plan_text([]))
        self.set_outcome("")
        self.notes.update(fact_text([]))
        self.compaction.update(Text("none yet", style="dim"))
        self.chart.reset()


class StatusBar(Static):
    """Model · context tokens vs budget · cost · eviction and compaction marks · state."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.model = ""
        self.context_tokens = 0
        self.budget: int | None = None
        self.cost: float | None = None
        self.priced = False  # no cost is shown before the first model reply (then `cost ?` stays `cost ?`)
        self.evictions = 0
        self.compactions = 0
        self.state = "starting"
        self.cache_read = 0  # prompt-cache tokens the provider reported (reads bill at ~0.1x, writes at ~1.25x)
        self.cache_write = 0

    def refresh_text(self) -> None:
        """Redraw from the fields."""
        ctx = short_tokens(self.context_tokens)
        if self.budget:
            pct = 100 * self.context_tokens / self.budget
            ctx = f"{ctx}/{short_tokens(self.budget)} ({pct:.0f}%)"
        out = Text()
        out.append(f" {model_label(self.model) or '…'} ", style="bold")
        out.append(f"│ ctx {ctx} ")
        if self.priced:
            out.append("│ cost ? " if self.cost is None else f"│ ${self.cost:.4f} ")
        if self.cache_read or self.cache_write:
            out.append(f"│ cache {short_tokens(self.cache_read)} read {short_tokens(self.cache_write)} written ")
        if self.evictions:
            out.append(f"│ ✂ {self.evictions} evicted ", style="yellow")
        if self.compactions:
            out.append(f"│ ⇊ {self.compactions} compacted ", style="yellow")
        style = {"running": "bold green", "waiting for approval": "bold yellow"}.get(self.state, "dim")
        out.append(f"│ {self.state}", style=style)
        self.update(out)

    def set(self, **fields: Any) -> None:
        """Change some fields and redraw."""
        for key, value in fields.items():
            setattr(self, key, value)
        self.refresh_text()

    def set_cost(self, cost: float | None) -> None:
        """The session's total so far (None: unknown, shown as `cost ?` from then on)."""
        self.set(cost=cost, priced=True)
