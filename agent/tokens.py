"""Token counting with tiktoken, offline (litellm ships the encoding files; we point tiktoken at them)."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _encoding() -> Any:
    """cl100k_base from the bundled files, or None if unavailable (then a chars/4 estimate is used)."""
    from agent.backends.litellm_backend import prepare_offline_env

    prepare_offline_env()
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # offline without bundled files: fall back to an estimate, never fail a run
        return None


def count_text(text: str) -> int:
    """Tokens in a string."""
    enc = _encoding()
    if enc is None:
        return max(1, len(text) // 4)
    return len(enc.encode(text, disallowed_special=()))


def count_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """Tokens in a chat request: contents, tool calls and tool schemas, plus per-message overhead."""
    total = 0
    for message in messages:
        total += 4
        content = message.get("content")
        if isinstance(content, str):
            total += count_text(content)
        elif content:
            total += count_text(json.dumps(content))
        for call in message.get("tool_calls") or []:
            fn = call.get("function", {})
            total += count_text(fn.get("name", "")) + count_text(fn.get("arguments", "")) + 4
    if tools:
        total += count_text(json.dumps(tools))
    return total
