"""Tools that act on the session itself: note, plan, compact, finish; they return typed outcomes the loop acts on."""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import SkipJsonSchema

from agent.backends.base import ToolCall
from agent.core.events import Outcome, ToolCallFinished
from agent.core.host import SessionHost
from agent.context.scratchpad import FactNumbers, Scratchpad, plan_steps
from agent.core.toolcalls import TurnState, execute_call
from tools.base import (
    Args, CompactRequested, FactNoted, Finished, PlanSet, Tool, ToolContext, ToolError, ToolResult,
)


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
    read_only = True  # touches no file: runs alongside its read-only neighbours, as it always did
    session_only = True

    async def run(self, args: NoteParams, ctx: ToolContext) -> ToolResult:
        """The fact, numbered after the pad's (the session records it when it folds the NoteAdded event)."""
        pad: Scratchpad = ctx.extra["scratchpad"]
        if not args.text.strip():
            raise ToolError("empty note")
        path, symbol, lines = split_pointer(args.at) if args.at else (args.path, args.symbol, args.lines)
        numbers: FactNumbers | None = ctx.extra.get("fact_numbers")
        fact = pad.new_fact(ctx.root, args.text, path, symbol, lines, numbers.take() if numbers else None)
        return ToolResult(f"noted #{fact.id}", data={"fact": dict(fact.__dict__)}, outcome=FactNoted(dict(fact.__dict__)))


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
    read_only = True
    session_only = True

    async def run(self, args: PlanParams, ctx: ToolContext) -> ToolResult:
        """The new plan (the session records it when it folds the PlanUpdated event)."""
        if not args.steps:
            raise ToolError("a plan needs at least one step")
        steps = plan_steps([s.model_dump() for s in args.steps])
        done = sum(1 for s in args.steps if s.status == "done")
        return ToolResult(f"plan recorded: {len(args.steps)} steps, {done} done", data={"steps": steps},
                          outcome=PlanSet(steps))

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
    read_only = False
    session_only = True

    async def run(self, args: CompactParams, ctx: ToolContext) -> ToolResult:
        """Ask for compaction (the loop runs it: the result's text is the compaction's report)."""
        return ToolResult("", outcome=CompactRequested(args.focus or ""))


class FinishParams(Args):
    summary: str
    verify: str | None = None


class FinishTool(Tool):
    name = "finish"
    description = (
        "End the task; `verify`: a command that must pass first."
    )
    Params = FinishParams
    read_only = False
    session_only = True

    def parse(self, raw: dict[str, Any]) -> Args:
        """A summary string is required; a `verify` that is not a string is ignored (as it always was)."""
        if not isinstance(raw.get("summary"), str):
            raise ToolError("finish needs a `summary` string")
        verify = raw.get("verify")
        return FinishParams(summary=raw["summary"], verify=verify if isinstance(verify, str) else None)

    async def run(self, args: FinishParams, ctx: ToolContext) -> ToolResult:
        """Ask to end the task (the loop runs `verify` first and decides)."""
        return ToolResult("finished", outcome=Finished(args.summary, args.verify or ""))

    def describe_call(self, args: dict[str, Any]) -> str:
        """Just `finish` (the summary shows when it is accepted)."""
        return self.name


async def run_verify(session: SessionHost, state: TurnState, call: ToolCall, command: str) -> ToolCallFinished | None:
    """Run finish's `verify` as a `run` call (same policy, sandbox, checkpoint); None when it exits 0."""
    probe = ToolCall(id=call.id, name="run", arguments=json.dumps({"command": command}))
    result = (await execute_call(session, state, probe, announce=False)).event
    passed = not result.is_error and result.data.get("exit_code") == 0
    if passed:
        state.ran_after_edit = True
        return None
    output = result.text.removeprefix("error: ")
    text = f"error: not finished: verify `{command}` failed; fix it and finish again.\n{output}"
    data = {**{k: v for k, v in result.data.items() if k != "file_edits"}, "verify": command}
    return ToolCallFinished(call_id=call.id, name=call.name, text=text, is_error=True, duration=result.duration,
                            data=data, outcome=Outcome.COMMAND)
