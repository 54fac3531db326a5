"""The context manager: builds the model's view from the history, ordered by stability for prompt caches."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.events import AssistantMessage, ContextCompacted, ContextEvicted, Event, ToolCallFinished
from agent.scratchpad import Scratchpad
from agent.tokens import count_messages, count_text

INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
MAX_INSTRUCTIONS = 8000
SUMMARY_HEAD = "Summary of earlier work in this session (older turns were compacted; the log keeps them):\n"
CACHE = {"type": "ephemeral"}


def project_instructions(root: Path, cwd: Path | None = None) -> str:
    """AGENTS.md / CLAUDE.md at the repo root (and the current folder), capped."""
    seen: set[Path] = set()
    parts: list[str] = []
    for folder in [root] + ([cwd] if cwd and cwd != root else []):
        for name in INSTRUCTION_FILES:
            path = folder / name
            if path.is_file() and path.resolve() not in seen:
                seen.add(path.resolve())
                text = path.read_text(encoding="utf-8", errors="replace")
                if len(text) > MAX_INSTRUCTIONS:
                    text = text[:MAX_INSTRUCTIONS] + f"\n[… {name} cut at {MAX_INSTRUCTIONS} chars]"
                parts.append(f"# {path.relative_to(root) if root in path.parents or path.parent == root else path}\n{text}")
    return "\n\n".join(parts)


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
    summary: str = ""
    evicted: dict[str, str] = field(default_factory=dict)  # tool_call_id -> stub
    peak_tokens: int = 0
    compactions: int = 0
    compacted_upto: int = 0  # history index before which turns are replaced by the summary
    mode: str = "full"  # "off" (no management) | "evict" (eviction only) | "full" (eviction + compaction)
    model_name: str = ""
    budget: int = 0  # input tokens we aim to stay under; set by `configure` (0 = not configured yet)
    window: int = 0
    counts_are_estimates: bool = True  # True unless counted with the model's own tokenizer (OpenAI models)
    last_tokens: int = 0  # the last request's size, for the UI
    last_cached_tokens: int = 0  # cached input tokens the provider reported for the last call
    cached_tokens_total: int = 0
    offset: int = 0  # provider-reported input tokens minus our tiktoken count of the same request
    failures: int = 0  # consecutive failed compactions (circuit breaker at 3)
    compaction_disabled: bool = False
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # call_id -> {"region", "edits"}
    _last_raw: int = 0

    def configure(self, model_name: str, settings: Any) -> None:
        """Set the budget from the model's window, the output reserve and --context-budget."""
        from agent.tokens import compute_budget, counts_are_estimates

        self.model_name = model_name
        self.window, self.budget = compute_budget(model_name, settings)
        self.counts_are_estimates = counts_are_estimates(model_name)

    def prefix(self) -> list[dict[str, Any]]:
        """The part of the request that never changes between turns (until a compaction)."""
        text = self.system_prompt
        if self.instructions:
            text += "\n\nProject instructions:\n" + self.instructions
        messages: list[dict[str, Any]] = [{"role": "system", "content": text}]
        if self.summary:
            messages.append({"role": "user", "content": SUMMARY_HEAD + self.summary})
        return messages

    def body(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The append-only turns since the last compaction, evicted tool outputs shown as stubs."""
        out = []
        for message in history[self.compacted_upto:]:
            stub = self.evicted.get(message.get("tool_call_id", "")) if message.get("role") == "tool" else None
            out.append({**message, "content": stub} if stub else message)
        return out

    def view(self, history: list[dict[str, Any]], pad: Scratchpad) -> list[dict[str, Any]]:
        """What the model sees: prefix, turns (evicted outputs as stubs), scratchpad in the tail."""
        messages = self.prefix() + self.body(history)
        stable = len(messages)
        tail = pad.render(self.root)
        if tail:
            messages.append({"role": "user", "content": "<scratchpad>\n" + tail + "\n</scratchpad>"})
        if is_anthropic(self.model_name):
            messages = mark_cache(messages, stable)
        return messages

    def count(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        """Best estimate of a request's input tokens: tiktoken, corrected by the provider's last report."""
        return max(0, count_messages(messages, tools) + self.offset)

    def measure(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        """Token count of the request about to be sent, tracking the last and the peak."""
        self._last_raw = count_messages(messages, tools)
        tokens = max(0, self._last_raw + self.offset)
        self.last_tokens = tokens
        self.peak_tokens = max(self.peak_tokens, tokens)
        return tokens

    def observe(self, event: Event) -> None:
        """Learn from live events: read regions and edited paths of tool results; provider usage."""
        if isinstance(event, ToolCallFinished):
            if event.is_error:
                return
            edits = [e["path"] for e in event.data.get("file_edits", []) if e.get("path")]
            region = event.data.get("region")
            if edits or isinstance(region, dict):
                self.meta[event.call_id] = {"region": None if edits else region, "edits": edits}
        elif isinstance(event, AssistantMessage):
            if event.input_tokens > 0 and self._last_raw > 0:
                # Usage is exact for what was sent; tiktoken then only estimates what is new since.
                self.offset = event.input_tokens - self._last_raw
            self.last_cached_tokens = event.cached_tokens
            self.cached_tokens_total += event.cached_tokens

    def apply(self, event: Event) -> None:
        """Re-apply a logged eviction or compaction (resume); also learns from tool results."""
        if isinstance(event, ContextEvicted):
            self.evicted.update(event.stubs or {cid: f"[evicted: {cid}; call it again if needed]" for cid in event.call_ids})
        elif isinstance(event, ContextCompacted):
            self.summary = event.summary
            self.compacted_upto = event.upto_index
            self.compactions += 1
        elif isinstance(event, ToolCallFinished):
            self.observe(event)


def apply_event(context: ContextManager, event: Event) -> None:
    """Resume support: re-apply ContextEvicted / ContextCompacted so the rebuilt view equals the live one."""
    context.apply(event)


def mark_cache(messages: list[dict[str, Any]], stable: int) -> list[dict[str, Any]]:
    """Anthropic cache breakpoints on the system message and the last stable message with text."""
    out = list(messages)
    targets = [0]
    for i in range(stable - 1, 0, -1):
        content = out[i].get("content")
        if out[i].get("role") in ("user", "assistant") and isinstance(content, str) and content.strip():
            targets.append(i)
            break
    for i in targets:
        message = copy.copy(out[i])
        if isinstance(message.get("content"), str):
            message["content"] = [{"type": "text", "text": message["content"], "cache_control": dict(CACHE)}]
        out[i] = message
    return out


# ---- what the history holds, for eviction ----


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
                calls[call["id"]] = {"name": fn.get("name", ""), "args": args if isinstance(args, dict) else {},
                                     "turn": i}
        elif message.get("role") == "tool" and message.get("tool_call_id") in calls:
            info = calls[message["tool_call_id"]]
            info.update(index=i, tokens=count_text(str(message.get("content") or "")), turn=info.get("turn", turn))
    return {cid: info for cid, info in calls.items() if "index" in info}


def turn_starts(history: list[dict[str, Any]], start: int) -> list[int]:
    """Indices of the assistant messages (one per turn) from `start` on."""
    return [i for i in range(start, len(history)) if history[i].get("role") == "assistant"]


def stale_reads(calls: dict[str, dict[str, Any]], meta: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Reads superseded by a later read of an overlapping region ("reread") or an edit of the file ("edited")."""
    stale: dict[str, str] = {}
    reads: list[tuple[str, dict[str, Any]]] = []
    for cid, _info in sorted(calls.items(), key=lambda kv: kv[1]["index"]):
        data = meta.get(cid) or {}
        for path in data.get("edits") or []:
            for old, region in reads:
                if region.get("path") == path:
                    stale.setdefault(old, "edited")
        region = data.get("region")
        if region:
            for old, prev in reads:
                if prev.get("path") == region.get("path") and _overlap(prev, region):
                    stale.setdefault(old, "reread")
            reads.append((cid, region))
    return stale


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two line regions share a line."""
    return int(a.get("start", 0)) <= int(b.get("end", 0)) and int(b.get("start", 0)) <= int(a.get("end", 0))
