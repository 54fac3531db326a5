"""The context manager: builds the model's view from the history, ordered by stability for prompt caches."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.context.instructions import project_instructions
from agent.core.events import AssistantMessage, Event
from agent.context.scratchpad import Scratchpad
from agent.core.state import ContextBook
from agent.context.tokens import count_messages, count_text

SUMMARY_HEAD = "Summary of earlier work in this session (older turns were compacted; the log keeps them):\n"
CACHE = {"type": "ephemeral"}
MAX_BREAKPOINTS = 4  # Anthropic's limit on cache_control blocks per request
INSTRUCTIONS_SHARE = 0.1  # project instructions may take this share of the budget; the rest is cut with a notice
OUTPUT_SHARE = 0.2  # one tool output may take this share of the budget; the middle of a longer one is cut
MIN_WORK = 2000  # tokens a budget needs beyond the fixed prefix: the task and a few tool outputs
BULKY_ARGS = {"write_file": ("content",), "replace_symbol": ("new_source",), "edit": ("old", "new")}
BULKY_CHARS = 800  # an evicted edit's argument longer than this is stubbed too: the file holds it now


def budget_problem(value: Any, fixed: int | None) -> str:
    """Why a --context-budget / context_budget value cannot work ('' when it can), from the actual fixed prefix
    (None: only its form is checked)."""
    from agent.context.tokens import parse_budget

    try:
        budget = parse_budget(value)
    except ValueError as exc:
        return str(exc)
    need = (fixed or 0) + MIN_WORK
    if fixed is not None and isinstance(budget, int) and budget < need:
        return (f"must be at least {need} tokens: the system prompt, tool schemas and project instructions take "
                f"{fixed} and a task needs about {MIN_WORK} more (got {budget}); or use `full` for the whole window")
    return ""


def fixed_prefix_tokens(root: Path, cwd: Path | None = None) -> int:
    """Tokens of the system prompt, project instructions and tool schemas a session in `root` would send."""
    from agent.core.registry import default_tools
    from prompts import load

    ctx = ContextManager(root=root, system_prompt=load("system.md").format(root=root),
                         instructions=project_instructions(root, cwd))
    return ctx.fixed_tokens([t.schema() for t in default_tools().values()])


def is_anthropic(model_name: str) -> bool:
    """Whether the provider needs explicit cache breakpoints."""
    lowered = model_name.lower()
    return "anthropic/" in lowered or "claude" in lowered


@dataclass
class ContextManager:
    """Stable prefix (system prompt, project instructions, summary) + append-only turns + volatile tail."""

    root: Path
    system_prompt: str
    instructions: str = ""
    book: ContextBook = field(default_factory=ContextBook)  # written only by the state's reducer
    mode: str = "full"  # "off" (no management) | "evict" (eviction only) | "full" (eviction + compaction)
    model_name: str = ""
    budget: int = 0  # input tokens we aim to stay under; set by `configure` (0 = not configured yet)
    window: int = 0
    counts_are_estimates: bool = True  # True unless counted with the model's own tokenizer (OpenAI models)
    last_cached_tokens: int = 0  # cached input tokens the provider reported for the last call
    cached_tokens_total: int = 0
    offset: int = 0  # provider-reported input tokens minus our tiktoken count of the same request
    failures: int = 0  # consecutive failed compactions (circuit breaker at 3)
    compaction_disabled: bool = False
    notices: list[str] = field(default_factory=list)  # for the user, emitted by compaction.attach
    _last_raw: int = 0

    @property
    def evicted(self) -> dict[str, str]:
        """tool_call_id -> stub of the outputs evicted from the view."""
        return self.book.evicted

    @property
    def summary(self) -> str:
        """The compaction summary ('' before the first compaction)."""
        return self.book.summary

    @property
    def compacted_upto(self) -> int:
        """History index before which turns are replaced by the summary."""
        return self.book.compacted_upto

    @property
    def compactions(self) -> int:
        """Compactions so far."""
        return self.book.compactions

    @property
    def peak_tokens(self) -> int:
        """The largest request so far."""
        return self.book.peak_tokens

    @property
    def last_tokens(self) -> int:
        """The last request's size, for the UI."""
        return self.book.last_tokens

    @property
    def meta(self) -> dict[str, dict[str, Any]]:
        """call_id -> {"region", "edits"} of tool results (what eviction calls superseded)."""
        return self.book.meta

    def configure(self, model_name: str, settings: Any) -> None:
        """Set the budget from the model's window, the output reserve and --context-budget; fit the instructions."""
        from agent.context.tokens import compute_budget, counts_are_estimates

        self.model_name = model_name
        self.window, self.budget = compute_budget(model_name, settings)
        self.counts_are_estimates = counts_are_estimates(model_name)
        limit = int(self.budget * INSTRUCTIONS_SHARE)
        if self.instructions and count_text(self.instructions) > limit:
            size = count_text(self.instructions)
            self.instructions = cut_tokens(self.instructions, limit, "project instructions")
            self.notices.append(f"project instructions are {size} tokens, over {INSTRUCTIONS_SHARE:.0%} of the "
                                f"{self.budget}-token budget: the model sees their first {limit} tokens")

    def fixed_tokens(self, tools: list[dict[str, Any]] | None) -> int:
        """Tokens every request carries: system prompt, project instructions, tool schemas."""
        return count_messages(self.prefix()[:1], tools)

    def cap_output(self, text: str) -> str:
        """A tool output cut to OUTPUT_SHARE of the budget (head and tail kept), so no single output floods it."""
        if not self.budget:
            return text
        return cut_tokens(text, int(self.budget * OUTPUT_SHARE), "output")

    def prefix(self, book: ContextBook | None = None) -> list[dict[str, Any]]:
        """The part of the request that never changes between turns (until a compaction)."""
        text = self.system_prompt
        if self.instructions:
            text += "\n\nProject instructions:\n" + self.instructions
        messages: list[dict[str, Any]] = [{"role": "system", "content": text}]
        summary = (book or self.book).summary
        if summary:
            messages.append({"role": "user", "content": SUMMARY_HEAD + summary})
        return messages

    def body(self, history: list[dict[str, Any]], book: ContextBook | None = None) -> list[dict[str, Any]]:
        """The append-only turns since the last compaction, evicted tool outputs shown as stubs."""
        book = book or self.book
        evicted = book.evicted
        out = []
        for message in history[book.compacted_upto:]:
            stub = evicted.get(message.get("tool_call_id", "")) if message.get("role") == "tool" else None
            if message.get("role") == "assistant" and any(c.get("id") in evicted for c in message.get(
                    "tool_calls") or []):
                message = {**message, "tool_calls": [slim_call(c) if c.get("id") in evicted else c
                                                     for c in message["tool_calls"]]}
            out.append({**message, "content": stub} if stub else message)
        return out

    def view(self, history: list[dict[str, Any]], pad: Scratchpad,
             book: ContextBook | None = None) -> list[dict[str, Any]]:
        """What the model sees: prefix, turns (evicted outputs as stubs), scratchpad in the tail; `book`: the view
        as it would be after an eviction or compaction not yet applied."""
        messages = self.prefix(book) + self.body(history, book)
        stable = len(messages)
        tail = pad.render(self.root)
        if tail:
            messages.append({"role": "user", "content": "<scratchpad>\n" + tail + "\n</scratchpad>"})
        if is_anthropic(self.model_name):
            # No text is None, not "": litellm would send Claude a placeholder text block next to the tool_use.
            messages = [{**m, "content": None} if m.get("role") == "assistant" and m.get("content") == "" else m
                        for m in messages]
            messages = mark_cache(messages, stable)
        return messages

    def count(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        """Best estimate of a request's input tokens: tiktoken, corrected by the provider's last report."""
        return max(0, count_messages(messages, tools) + self.offset)

    def measure(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        """Token count of the request about to be sent (its AssistantMessage records it as the last and peak)."""
        self._last_raw = count_messages(messages, tools)
        return max(0, self._last_raw + self.offset)

    def observe(self, event: Event) -> None:
        """Calibrate the counter from live provider usage (the session's state is the reducer's, not this)."""
        if isinstance(event, AssistantMessage):
            if event.input_tokens > 0 and self._last_raw > 0:
                # Usage is exact for what was sent; tiktoken then only estimates what is new since.
                self.offset = event.input_tokens - self._last_raw
            self.last_cached_tokens = event.cache_read_tokens or event.cached_tokens
            self.cached_tokens_total += self.last_cached_tokens



def mark_cache(messages: list[dict[str, Any]], stable: int) -> list[dict[str, Any]]:
    """Anthropic cache breakpoints: the system prompt (tools + system), the end of the previous request's stable
    part (so this request reads what that one wrote) and the end of this one's (so the next reads it); at most 4.
    Every kind of message can carry one: text, a tool-only assistant turn (its last tool_use), a tool result."""
    out = list(messages)
    last = stable - 1
    previous = next((i - 1 for i in range(last, 0, -1) if out[i].get("role") == "assistant"), 0)
    targets = sorted({0, previous, last} - {-1})[:MAX_BREAKPOINTS]
    for i in targets:
        out[i] = _marked(out[i])
    return out


def _marked(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of `message` with a cache breakpoint on its last block (the history's dicts are never changed)."""
    message = copy.copy(message)
    content = message.get("content")
    if message.get("role") == "tool":
        message["cache_control"] = dict(CACHE)  # litellm puts it on the tool_result block
    elif message.get("role") == "assistant" and message.get("tool_calls"):
        calls = [dict(c) for c in message["tool_calls"]]
        calls[-1]["cache_control"] = dict(CACHE)  # on the last tool_use block
        message["tool_calls"] = calls
    elif isinstance(content, str) and content:
        message["content"] = [{"type": "text", "text": content, "cache_control": dict(CACHE)}]
    elif isinstance(content, list) and content:
        blocks = [dict(b) for b in content]
        blocks[-1]["cache_control"] = dict(CACHE)
        message["content"] = blocks
    return message


def cut_tokens(text: str, limit: int, what: str) -> str:
    """`text` within `limit` tokens: head and tail kept, the middle replaced by a line saying what was cut."""
    size = count_text(text)
    if size <= limit or limit <= 0:
        return text
    keep = max(1, int(len(text) * limit / size * 0.95))  # characters, from the token ratio, with a little slack
    head, tail = text[: keep * 2 // 3], text[-(keep // 3):]
    return (f"{head}\n[… {what} cut: {size} tokens is over {limit} ({OUTPUT_SHARE:.0%} of the context budget for an "
            f"output); narrow the command or query …]\n{tail}" if what == "output" else
            f"{head}\n[… {what} cut at {limit} of {size} tokens …]")


# ---- what the history holds, for eviction ----


def slim_call(call: dict[str, Any]) -> dict[str, Any]:
    """An evicted edit call with its bulky text arguments stubbed (valid JSON; unchanged when nothing is bulky)."""
    import json

    fn = call.get("function") or {}
    names = BULKY_ARGS.get(fn.get("name", ""), ())
    raw = fn.get("arguments") or ""
    if not names or len(raw) <= BULKY_CHARS:
        return call
    try:
        args = json.loads(raw)
    except ValueError:
        return call
    if not isinstance(args, dict):
        return call
    slim = {k: (f"[{v.count(chr(10)) + 1} lines, written to the file]" if k in names and isinstance(v, str)
                and len(v) > BULKY_CHARS else v) for k, v in args.items()}
    return {**call, "function": {**fn, "arguments": json.dumps(slim)}} if slim != args else call


def call_index(history: list[dict[str, Any]], start: int) -> dict[str, dict[str, Any]]:
    """call_id -> {name, args, turn (assistant index), index (tool message index), tokens} from `start` on."""
    import json

    calls: dict[str, dict[str, Any]] = {}
    turn = -1
    for i in range(start, len(history)):
        message = history[i]
        if message.get("role") == "assistant":
            turn = i
            for call in message.get("tool_calls") or []:
                fn = call.get("function", {})
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = {}
                bulky = count_text(fn.get("arguments") or "") if fn.get("name") in BULKY_ARGS else 0
                calls[call["id"]] = {"name": fn.get("name", ""), "args": args if isinstance(args, dict) else {},
                                     "turn": i, "bulky": bulky if bulky * 4 > BULKY_CHARS else 0}
        elif message.get("role") == "tool" and message.get("tool_call_id") in calls:
            info = calls[message["tool_call_id"]]
            text = str(message.get("content") or "")
            info.update(index=i, tokens=count_text(text) + info.get("bulky", 0), turn=info.get("turn", turn),
                        error=text.startswith("error"))
    return {cid: info for cid, info in calls.items() if "index" in info}


def turn_starts(history: list[dict[str, Any]], start: int) -> list[int]:
    """Indices of the assistant messages (one per turn) from `start` on."""
    return [i for i in range(start, len(history)) if history[i].get("role") == "assistant"]


def stale_reads(calls: dict[str, dict[str, Any]], meta: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Superseded outputs, call_id -> why: a read whose region was re-read ("reread") or whose file was since
    edited ("edited"), a command run again ("rerun"), a failed edit's dump once an edit of that file worked
    ("retried")."""
    stale: dict[str, str] = {}
    reads: list[tuple[str, dict[str, Any]]] = []
    commands: dict[str, str] = {}
    failed: list[tuple[str, str]] = []
    for cid, info in sorted(calls.items(), key=lambda kv: kv[1]["index"]):
        data = meta.get(cid) or {}
        for path in data.get("edits") or []:
            stale.update({old: "edited" for old, region in reads if region.get("path") == path and old not in stale})
            stale.update({old: "retried" for old, where in failed if where == path and old not in stale})
        region = data.get("region")
        if region:
            for old, prev in reads:
                if prev.get("path") == region.get("path") and _overlap(prev, region):
                    stale.setdefault(old, "reread")
            reads.append((cid, region))
        command = _command(info)
        if command:
            if command in commands:
                stale.setdefault(commands[command], "rerun")
            commands[command] = cid
        if info.get("error") and info["name"] in ("edit", "replace_symbol", "write_file"):
            failed.append((cid, _edit_path(info["args"])))
    return stale


def _command(info: dict[str, Any]) -> str:
    """The shell command a call ran (`run`, or `finish` with `verify`), whitespace-normalised; '' for others."""
    args = info.get("args") or {}
    raw = args.get("command") if info["name"] == "run" else args.get("verify") if info["name"] == "finish" else None
    return " ".join(raw.split()) if isinstance(raw, str) else ""


def _edit_path(args: dict[str, Any]) -> str:
    """The file an edit call targets (`path`, or the file part of replace_symbol's `path:Name`)."""
    if isinstance(args.get("path"), str):
        return args["path"].lstrip("./")
    symbol = args.get("symbol")
    return symbol.split(":", 1)[0].lstrip("./") if isinstance(symbol, str) and ":" in symbol else ""


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two line regions share a line."""
    return int(a.get("start", 0)) <= int(b.get("end", 0)) and int(b.get("start", 0)) <= int(a.get("end", 0))
