"""Tools that act on the session itself: note, plan, compact, finish (the loop gives them meaning)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from agent.scratchpad import Scratchpad
from tools.base import Args, Tool, ToolContext, ToolError, ToolResult


class NoteParams(Args):
    text: str
    path: str | None = None
    symbol: str | None = None
    lines: str | None = None


class NoteTool(Tool):
    name = "note"
    description = (
        "Record a fact you will need later (a cause, a location, a decision) in the scratchpad, which survives "
        "context eviction and compaction. Point at code with path, symbol and lines ('120-135'). Keep it one line."
    )
    Params = NoteParams

    async def run(self, args: NoteParams, ctx: ToolContext) -> ToolResult:
        """Add the fact."""
        pad: Scratchpad = ctx.extra["scratchpad"]
        if not args.text.strip():
            raise ToolError("empty note")
        fact = pad.add_fact(ctx.root, args.text, args.path, args.symbol, args.lines)
        return ToolResult(f"noted #{fact.id}", data={"fact": fact.__dict__})


class PlanStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str
    status: Literal["pending", "in_progress", "done", "skipped"] = "pending"


class PlanParams(Args):
    steps: list[PlanStep]


class PlanTool(Tool):
    name = "plan"
    description = (
        "Set or update your plan: the full list of steps, each with status pending|in_progress|done|skipped. "
        "Call it first with hypotheses and what to look at, then update statuses as you go."
    )
    Params = PlanParams

    async def run(self, args: PlanParams, ctx: ToolContext) -> ToolResult:
        """Replace the plan."""
        pad: Scratchpad = ctx.extra["scratchpad"]
        if not args.steps:
            raise ToolError("a plan needs at least one step")
        pad.set_plan([s.model_dump() for s in args.steps])
        done = sum(1 for s in args.steps if s.status == "done")
        return ToolResult(f"plan recorded: {len(args.steps)} steps, {done} done", data={"steps": pad.steps})

    def describe_call(self, args: dict) -> str:
        """`plan (4 steps)`."""
        return f"plan ({len(args.get('steps') or [])} steps)"


class CompactParams(Args):
    focus: str | None = None


class CompactTool(Tool):
    name = "compact"
    description = (
        "Summarise older conversation turns to free context (scratchpad and plan are kept verbatim). "
        "Use when the context is cluttered with finished work; `focus` says what the summary must keep."
    )
    Params = CompactParams


class FinishParams(Args):
    summary: str


class FinishTool(Tool):
    name = "finish"
    description = (
        "End the task. `summary`: what was wrong, what you changed, and the evidence it works (the test command "
        "and its result), or why you could not verify."
    )
    Params = FinishParams
