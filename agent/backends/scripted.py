"""A deterministic model that plays recorded assistant turns (tests, `pith demo`, `--rerun`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.backends.base import DeltaCallback, ModelError, ModelReply, message_from_dict


class ScriptedModel:
    """Replays assistant messages in order; errors once the script runs out."""

    def __init__(self, turns: list[dict[str, Any]], name: str = "scripted") -> None:
        self.name = name
        self.turns = turns
        self.position = 0
        self.requests: list[list[dict[str, Any]]] = []

    @classmethod
    def from_file(cls, path: Path) -> ScriptedModel:
        """Load one OpenAI-format assistant message per JSONL line."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ModelError(f"cannot read script {path}: {exc.strerror}", kind="not_found") from None
        turns = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                turns.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ModelError(f"{path}:{n}: not JSON ({exc.msg})", kind="bad_request") from None
        return cls(turns, name=f"scripted:{path}")

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, on_delta: DeltaCallback | None = None
    ) -> ModelReply:
        """Return the next recorded turn."""
        self.requests.append(messages)
        if self.position >= len(self.turns):
            raise ModelError("the scripted model has no more turns", kind="script_exhausted")
        raw = self.turns[self.position]
        reply = message_from_dict(raw, self.position)
        self.position += 1
        if on_delta and reply.content:
            on_delta(reply.content)
        usage = raw.get("usage") or {}
        reply.input_tokens = int(usage.get("prompt_tokens", 0))
        reply.output_tokens = int(usage.get("completion_tokens", 0))
        return reply
