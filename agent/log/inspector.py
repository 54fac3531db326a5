"""The request inspector: rebuild the exact request of any step from a session log, with the code that built it live.

A blank session (recorded settings, the current tools and prompts, a model that is never called) replays the log's
events with `SessionState.fold` (agent/core/state.py); before each recorded model reply, `ContextManager.view` gives the messages
and the tool schemas are taken as `agent.core.loop.ask_model` takes them. Nothing here writes to the log.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.context.manager import SUMMARY_HEAD, ContextManager
from agent.core.events import AssistantMessage, ContextCompacted, Event
from agent.log.writer import LoadedLog
from agent.context.tokens import count_messages, count_text

if TYPE_CHECKING:
    from agent.core.session import Session

REGIONS = ("tools", "system", "instructions", "summary", "turns", "stubs", "scratchpad")
LABELS = {"tools": "tool schemas", "system": "system prompt", "instructions": "project instructions",
          "summary": "compaction summary", "turns": "turns (kept)", "stubs": "evicted stubs",
          "scratchpad": "scratchpad / plan"}
INSTRUCTIONS_HEAD = "\n\nProject instructions:\n"


class InspectError(Exception):
    """A step or compaction that the log does not have; the message says what it has."""


@dataclass
class Request:
    """One model request rebuilt from the log, its size by region, and what the provider reported for it."""

    step: int
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    regions: dict[str, int]
    budget: int
    provider: dict[str, Any] = field(default_factory=dict)
    evicted: int = 0  # tool outputs shown as stubs in this request
    compactions: int = 0  # compactions applied before this request

    @property
    def total(self) -> int:
        """Input tokens of the request (tiktoken, the counter pith's budget uses)."""
        return sum(self.regions.values())

    def body(self) -> dict[str, Any]:
        """The request as sent: model, messages and tools (tools left out when there were none)."""
        out: dict[str, Any] = {"model": self.model, "messages": self.messages}
        if self.tools:
            out["tools"] = self.tools
        return out


def _text(message: dict[str, Any]) -> str:
    """A message's text whether its content is a string or a list of blocks (cache-marked)."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content or "")


def classify(message: dict[str, Any], index: int, last: int, ctx: ContextManager) -> str:
    """The region a message of the view belongs to."""
    role = message.get("role")
    if index == 0 and role == "system":
        return "system"
    text = _text(message)
    if role == "user" and index == 1 and ctx.summary and text.startswith(SUMMARY_HEAD):
        return "summary"
    if role == "user" and index == last and text.startswith("<scratchpad>"):
        return "scratchpad"
    if role == "tool" and message.get("tool_call_id") in ctx.evicted:
        return "stubs"
    return "turns"


def regions(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, ctx: ContextManager) -> dict[str, int]:
    """Tokens per region; they add up to `count_messages(messages, tools)` exactly."""
    out = dict.fromkeys(REGIONS, 0)
    out["tools"] = count_messages([], tools) if tools else 0
    last = len(messages) - 1
    for i, message in enumerate(messages):
        tokens = count_messages([message])
        region = classify(message, i, last, ctx)
        if region == "system" and ctx.instructions and INSTRUCTIONS_HEAD + ctx.instructions in _text(message):
            part = min(tokens, count_text(INSTRUCTIONS_HEAD + ctx.instructions))
            out["instructions"] += part
            tokens -= part
        out[region] += tokens
    return out


def provider_usage(event: AssistantMessage) -> dict[str, Any]:
    """What the provider reported for the reply (older logs: cache fields 0)."""
    return {"input_tokens": event.input_tokens, "cache_read_tokens": event.cache_read_tokens,
            "cache_write_tokens": event.cache_write_tokens,
            "output_tokens": event.output_tokens, "cost": event.cost, "estimate_at_the_time": event.context_tokens}


def blank_session(loaded: LoadedLog) -> Session:
    """A session with the recorded settings and a model that is never called; writes no log."""
    from agent.backends.scripted import ScriptedModel
    from agent.log.resume import settings_for
    from agent.compose import build_session

    settings = settings_for(loaded, {})
    root = Path(loaded.header.get("root") or ".")
    model = ScriptedModel([], name=str(loaded.header.get("model") or settings.model))
    sid = str(loaded.header.get("session_id") or loaded.path.stem)
    return build_session(settings, root, loaded.header.get("git_head"), None, str(loaded.header.get("task") or ""),
                         model=model, session_id=sid)


def backend_messages(session: Session, messages: list[dict[str, Any]],
                     tools: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """What the backend makes of the view before sending it (the text tool protocol rewrites it)."""
    if session.settings.tool_protocol == "text":
        from agent.backends.textproto import to_text_messages

        return to_text_messages(messages, tools), None
    return messages, tools


class Replayer:
    """Walks a log's events forward, keeping a blank session in the state the live one had."""

    def __init__(self, loaded: LoadedLog) -> None:
        self.loaded = loaded
        self.session = blank_session(loaded)
        self.position = 0
        self.tools: list[dict[str, Any]] | None = None  # schemas are costly to generate and fixed in a session

    def advance(self, upto: int) -> None:
        """Apply events[position:upto] (tool calls left open by a crash are closed as resume closes them)."""
        from agent.log.resume import close_pending

        close_pending(self.session)
        self.session.state.fold(self.loaded.events[self.position:upto])
        self.position = max(self.position, upto)

    def request(self, step: int, model: str, usage: dict[str, Any] | None = None) -> Request:
        """The request the session sends now (under the model recorded for that step)."""
        if model:
            self.session.model.name = model
        if self.tools is None:
            self.tools = [t.schema() for t in self.session.tools.values()]
        return build_request(self.session, step, usage, self.tools)


def build_request(session: Session, step: int, usage: dict[str, Any] | None = None,
                  tools: list[dict[str, Any]] | None = None) -> Request:
    """The request `session` sends next, built as `agent.core.loop.ask_model` builds it (a live session works too)."""
    from agent.context.compaction import attach

    ctx = attach(session)
    tools = tools if tools is not None else [t.schema() for t in session.tools.values()]
    messages = ctx.view(session.history, session.pad)
    sizes = regions(messages, tools, ctx)
    messages, sent_tools = backend_messages(session, messages, tools)
    stubs = sum(1 for m in session.history[ctx.compacted_upto:]
                if m.get("role") == "tool" and m.get("tool_call_id") in ctx.evicted)
    return Request(step=step, model=session.model.name, messages=messages, tools=sent_tools, regions=sizes,
                   budget=ctx.budget, provider=usage or {}, evicted=stubs, compactions=ctx.compactions)


def replies(loaded: LoadedLog) -> list[tuple[int, AssistantMessage]]:
    """(event index, event) of every recorded model reply."""
    return [(i, e) for i, e in enumerate(loaded.events) if isinstance(e, AssistantMessage)]


def request_at(loaded: LoadedLog, step: int | None = None) -> Request:
    """The request of step `step` (1-based, in log order), or the next one the session would send when None."""
    found = replies(loaded)
    replayer = Replayer(loaded)
    if step is None:
        replayer.advance(len(loaded.events))
        model = found[-1][1].model if found else ""
        return replayer.request(len(found) + 1, model)
    if not 1 <= step <= len(found):
        raise InspectError(f"no step {step}: this session has {len(found)} step(s) (1..{len(found)})"
                           if found else "this session has no model requests yet")
    index, event = found[step - 1]
    replayer.advance(index)
    return replayer.request(step, event.model, provider_usage(event))


def requests(loaded: LoadedLog) -> list[tuple[Request, list[Event]]]:
    """Every recorded request in order, each with the eviction/compaction events logged since the previous one."""
    from agent.core.events import ContextEvicted

    replayer = Replayer(loaded)
    out: list[tuple[Request, list[Event]]] = []
    marks: list[Event] = []
    step = 0
    for i, event in enumerate(loaded.events):
        if isinstance(event, (ContextEvicted, ContextCompacted)):
            marks.append(event)
        elif isinstance(event, AssistantMessage):
            step += 1
            replayer.advance(i)
            out.append((replayer.request(step, event.model, provider_usage(event)), marks))
            marks = []
    return out


@dataclass
class Dropped:
    """One compaction: the turns it replaced (as the model saw them) beside the summary, and the scratchpad then."""

    index: int  # 1-based, in log order
    step: int  # the step whose request first carried the summary (0: none after it)
    event: ContextCompacted
    turns: list[dict[str, Any]]  # {"role", "text", "tokens", "evicted"}
    summary_tokens: int
    facts: list[dict[str, Any]]  # {"id", "text", "in_summary"}: all stay verbatim in the scratchpad tail
    plan: list[dict[str, Any]]

    @property
    def dropped_tokens(self) -> int:
        """Tokens of the replaced turns."""
        return sum(t["tokens"] for t in self.turns)


def _shown(message: dict[str, Any], evicted: bool) -> dict[str, Any]:
    """A replaced message as a row: its text with its tool calls, and its size."""
    calls = [f"→ {c.get('function', {}).get('name', '')}({c.get('function', {}).get('arguments', '')})"
             for c in message.get("tool_calls") or []]
    text = "\n".join(part for part in [_text(message), *calls] if part)
    return {"role": str(message.get("role", "")), "text": text, "tokens": count_messages([message]), "evicted": evicted}


def _dropped(replayer: Replayer, index: int, event: ContextCompacted, step: int) -> Dropped:
    """What compaction number `index` replaced, from the session state just before it."""
    session = replayer.session
    ctx = session.context
    start = ctx.compacted_upto
    turns = [_shown(m, m.get("role") == "tool" and m.get("tool_call_id") in ctx.evicted)
             for m in ctx.body(session.history[:event.upto_index])[: max(0, event.upto_index - start)]]
    summary = event.summary.lower()
    facts = [{"id": f.id, "text": f.text, "in_summary": f.text.lower() in summary} for f in session.pad.facts]
    return Dropped(index=index, step=step, event=event, turns=turns, summary_tokens=count_text(event.summary),
                   facts=facts, plan=[dict(s) for s in session.pad.steps])


def compactions(loaded: LoadedLog) -> list[Dropped]:
    """Every compaction in the log, in order."""
    replayer = Replayer(loaded)
    out: list[Dropped] = []
    steps = 0
    for i, event in enumerate(loaded.events):
        if isinstance(event, AssistantMessage):
            steps += 1
            for item in out:
                item.step = item.step or steps
        elif isinstance(event, ContextCompacted):
            replayer.advance(i)
            out.append(_dropped(replayer, len(out) + 1, event, 0))
    return out


def compaction_at(loaded: LoadedLog, k: int) -> Dropped:
    """Compaction number `k` (1-based)."""
    found = compactions(loaded)
    if not 1 <= k <= len(found):
        raise InspectError(f"no compaction {k}: this session has {len(found)}" + (f" (1..{len(found)})" if found else ""))
    return found[k - 1]
