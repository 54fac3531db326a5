"""The context manager: builds the model's view from the history, ordered by stability for prompt caches."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.scratchpad import Scratchpad
from agent.tokens import count_messages

INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
MAX_INSTRUCTIONS = 8000


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

    def prefix(self) -> list[dict[str, Any]]:
        """The part of the request that never changes between turns (until a compaction)."""
        text = self.system_prompt
        if self.instructions:
            text += "\n\nProject instructions:\n" + self.instructions
        messages: list[dict[str, Any]] = [{"role": "system", "content": text}]
        if self.summary:
            messages.append({"role": "user", "content": "Summary of earlier work in this session:\n" + self.summary})
            messages.append({"role": "assistant", "content": "Understood; continuing from that summary."})
        return messages

    def view(self, history: list[dict[str, Any]], pad: Scratchpad) -> list[dict[str, Any]]:
        """What the model sees: prefix, turns (evicted outputs as stubs), scratchpad in the tail."""
        body = []
        for message in history[self.compacted_upto:]:
            stub = self.evicted.get(message.get("tool_call_id", "")) if message.get("role") == "tool" else None
            body.append({**message, "content": stub} if stub else message)
        messages = self.prefix() + body
        tail = pad.render(self.root)
        if tail:
            messages.append({"role": "user", "content": "<scratchpad>\n" + tail + "\n</scratchpad>"})
        return messages

    def measure(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        """Token count of a request (estimate), tracking the peak."""
        tokens = count_messages(messages, tools)
        self.peak_tokens = max(self.peak_tokens, tokens)
        return tokens
