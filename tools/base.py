"""The tool contract: typed arguments, an async run, a result with the exact text the model sees."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 match', '3 matches'."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


class ToolError(Exception):
    """A failure the model should read and recover from (bad path, no match, ...)."""


class Args(BaseModel):
    """Base for tool arguments; unknown keys are an error the model can fix."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class Finished:
    """The model declares the task done; `verify`: a command that must pass first ('' for none)."""

    summary: str
    verify: str = ""


@dataclass
class CompactRequested:
    """The model asks for its older turns to be summarised."""

    focus: str = ""


@dataclass
class CommandRan:
    """A shell command ran to an exit code (None: it timed out or could not start)."""

    exit_code: int | None


@dataclass
class PlanSet:
    """The plan is now these steps ({"step", "status"} each)."""

    steps: list[dict[str, str]]


@dataclass
class FactNoted:
    """A fact for the scratchpad (a Fact as a dict: id, text, pointer, hash)."""

    fact: dict[str, Any]


ToolOutcome = Finished | CompactRequested | CommandRan | PlanSet | FactNoted


@dataclass
class ToolResult:
    """What a tool returns: `text` is exactly what the model sees; `data` is for UI and log; `outcome`: what the
    call means beyond its text, for the agent to act on (None for most calls)."""

    text: str
    is_error: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    outcome: ToolOutcome | None = None


ApprovalKind = Literal["command", "write", "overwrite"]


@dataclass
class Approval:
    """What a tool call would do that needs the user's consent."""

    kind: ApprovalKind
    summary: str  # one line shown to the user, e.g. the command
    pattern: str = ""  # what "always allow" would remember (e.g. the command's first word)
    detail: str = ""  # what the user is approving, e.g. the diff an edit would make


@dataclass
class ToolContext:
    """Per-session facts a tool may use; tools never reach into the agent."""

    root: Path
    cache_dir: Path | None = None
    shell_env: dict[str, str] | None = None
    default_timeout: float = 120.0
    syntax_gate: str = "reject"  # "reject" | "warn" | "off"
    extra: dict[str, Any] = field(default_factory=dict)


def _compact(node: Any, defs: dict[str, Any]) -> Any:
    """Inline $refs, drop titles and `null` alternatives of optional fields (arguments are validated here anyway)."""
    if isinstance(node, list):
        return [_compact(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _compact(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    options = node.get("anyOf")
    if options and any(o.get("type") == "null" for o in options):
        kept = [o for o in options if o.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
        node = {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}
    drop = {"title", "$defs", "additionalProperties"}
    out = {k: _compact(v, defs) for k, v in node.items() if k not in drop and k != "default"}  # optional = unlisted
    if "properties" in node:  # property names are data, not schema keywords: keep them all
        out["properties"] = {name: _compact(v, defs) for name, v in node["properties"].items()}
    return out


class Tool:
    """A model-facing tool: subclasses set name, description, Params and implement run."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Params: ClassVar[type[Args]] = Args
    read_only: ClassVar[bool] = True  # changes nothing: runs unasked, unchecked, alongside its read-only neighbours
    session_only: ClassVar[bool] = False  # changes only the agent's own session (scratchpad, context, its end),
    # never the files: runs unasked and without a checkpoint; alone and in order unless also read_only (plan, note)

    def schema(self) -> dict[str, Any]:
        """The OpenAI function schema for this tool, compacted: it is sent with every request."""
        raw = self.Params.model_json_schema()
        params = _compact(raw, raw.get("$defs", {}))
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }

    def parse(self, raw: dict[str, Any]) -> Args:
        """Validate raw JSON arguments; raise ToolError with a message the model can act on."""
        try:
            return self.Params.model_validate(raw)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "(arguments)"
                problems.append(f"{loc}: {err['msg']}")
            fields = ", ".join(self.Params.model_fields)
            raise ToolError(
                f"bad arguments for {self.name}: " + "; ".join(problems) + f". Expected fields: {fields}."
            ) from None

    def approval(self, args: Args, ctx: ToolContext) -> Approval | None:
        """What this call needs approved, or None; may raise ToolError when the call cannot work at all."""
        return None

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        """Execute the tool."""
        raise NotImplementedError

    def describe_call(self, args: dict[str, Any]) -> str:
        """A short label for UI and eviction stubs, e.g. `read_symbol auth.py:login`."""
        first = next(iter(args.values()), "") if args else ""
        text = str(first).splitlines()[0] if str(first) else ""
        return f"{self.name} {text[:80]}".strip()
