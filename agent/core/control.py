"""Tools that act on the session itself: note, plan, compact, finish (the loop gives them meaning)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import SkipJsonSchema

from agent.context.scratchpad import Scratchpad
from agent.backends.base import ToolCall
from agent.core.events import ToolCallFinished
from tools.base import Args, Tool, ToolContext, ToolError, ToolResult

if TYPE_CHECKING:
    from agent.core.loop import TurnState
    from agent.core.session import Session


class NoteParams(Args):
    text: str
    at: str | None = None  # "path", "path:symbol", "path:3-9" or "path:symbol:3-9"
    path: SkipJsonSchema[str | None] = None  # the separate pointer fields of older sessions, still accepted
    symbol: SkipJsonSchema[str | None] = None
    lines: SkipJsonSchema[str | None] = None


def split_pointer(at: str) -> tuple[str | None, str | None, str | None]:
    """`path:symbol:3-9` -> (path, symbol, lines); every part after the path is optional."""
    parts = [p.strip() for p in at.strip().split(":")]
    path = parts[0] or None
    lines = parts.pop() if len(parts) > 1 and parts[-1].replace("-", "").isdigit() else None
    symbol = ":".join(parts[1:]) or None
    return path, symbol, lines


class NoteTool(Tool):
    name = "note"
    description = (
        "Add a fact to the scratchpad; `at`: 'path:symbol:3-9'."
    )
    Params = NoteParams

    async def run(self, args: NoteParams, ctx: ToolContext) -> ToolResult:
        """Add the fact."""
        pad: Scratchpad = ctx.extra["scratchpad"]
        if not args.text.strip():
            raise ToolError("empty note")
        path, symbol, lines = split_pointer(args.at) if args.at else (args.path, args.symbol, args.lines)
        fact = pad.add_fact(ctx.root, args.text, path, symbol, lines)
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
        "Set the plan: all steps with statuses."
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
    focus: SkipJsonSchema[str | None] = None  # accepted, not advertised: `note` keeps what matters


class CompactTool(Tool):
    name = "compact"
    description = (
        "Summarise older turns."
    )
    Params = CompactParams


class FinishParams(Args):
    summary: str
    verify: str | None = None


class FinishTool(Tool):
    name = "finish"
    description = (
        "End the task; `verify`: a command that must pass first."
    )
    Params = FinishParams


async def run_verify(session: Session, state: TurnState, call: ToolCall, command: str) -> ToolCallFinished | None:
    """Run finish's `verify` as a `run` call (same policy, sandbox, checkpoint); None when it exits 0."""
    from agent.core.toolcalls import execute_call

    probe = ToolCall(id=call.id, name="run", arguments=json.dumps({"command": command}))
    result = await execute_call(session, state, probe, announce=False)
    passed = not result.is_error and result.data.get("exit_code") == 0
    session.totals.verified = passed
    if passed:
        state.ran_after_edit = True
        return None
    output = result.text.removeprefix("error: ")
    text = f"error: not finished: verify `{command}` failed; fix it and finish again.\n{output}"
    return ToolCallFinished(call_id=call.id, name="finish", text=text, is_error=True, duration=result.duration,
                            data={k: v for k, v in result.data.items() if k != "file_edits"})
