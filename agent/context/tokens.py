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


@lru_cache(maxsize=8192)
def count_text(text: str) -> int:
    """Tokens in a string (cached: the same tool outputs are counted on every request)."""
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


DEFAULT_WINDOW = 32000
DEFAULT_BUDGET = 32000  # the working budget for every model, whatever its window: discipline by default (issue 19)
OPENAI_PREFIXES = ("openai/", "gpt-", "o1", "o3", "o4", "azure/", "chatgpt")


def model_window(model_name: str) -> int | None:
    """The model's input window from litellm's bundled model info, or None when unknown."""
    if not model_name or model_name.startswith("scripted"):
        return None
    try:
        from agent.backends.litellm_backend import load_litellm

        info = load_litellm().get_model_info(model_name)
        value = info.get("max_input_tokens") or info.get("max_tokens")
        return int(value) if value else None
    except Exception:  # unknown to litellm (local servers, new models): fall back to config or the default
        return None


def compute_budget(model_name: str, settings: Any) -> tuple[int, int]:
    """(window, budget): DEFAULT_BUDGET, or --context-budget N, or `full`; never above the window minus the
    output reserve and a 5% margin."""
    window = getattr(settings, "context_window", None) or model_window(model_name) or DEFAULT_WINDOW
    reserve = int(getattr(settings, "output_reserve", 4096) or 0)
    margin = max(256, window // 20)  # tokenizer differences between tiktoken and the provider's own
    full = max(1024, window - reserve - margin)
    cap = parse_budget(getattr(settings, "context_budget", None))
    if cap == "full":
        return window, full
    return window, min(full, cap or DEFAULT_BUDGET)


def parse_budget(value: Any) -> int | str | None:
    """A context budget setting: a positive token count, "full" (the whole window) or None; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() == "full":
        return "full"
    try:
        number = int(str(value).replace(",", "").replace("_", "").strip())
    except ValueError:
        raise ValueError(f"must be a number of tokens or `full` (got {value!r})") from None
    if isinstance(value, bool) or number <= 0:
        raise ValueError(f"must be a positive number of tokens or `full` (got {value!r})")
    return number


def counts_are_estimates(model_name: str) -> bool:
    """tiktoken counts are exact only for OpenAI models; label the rest as estimates."""
    name = model_name.lower()
    return not name.startswith(OPENAI_PREFIXES)
