"""The model seam: one async `complete` call returning a typed reply."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class ModelError(Exception):
    """A provider failure; `kind` decides the exit status and whether to retry."""

    def __init__(self, message: str, kind: str = "other", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # auth | not_found | rate_limit | server | timeout | connection | context_length | bad_request | tools_unsupported | other
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Whether backing off and trying again can help."""
        return self.kind in {"rate_limit", "server", "timeout", "connection"}


@dataclass
class ToolCall:
    """A tool call as the model wrote it; `arguments` is the raw JSON string."""

    id: str
    name: str
    arguments: str

    def to_message(self) -> dict[str, Any]:
        """OpenAI-format tool call."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass
class ModelReply:
    """One assistant reply with its usage and cost (None when unknown); `input_tokens` includes cache reads/writes."""

    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # = cache_read_tokens (the older name, kept for compatibility)
    cost: float | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


DeltaCallback = Callable[[str], None]


class Model(Protocol):
    """What the loop needs from a model."""

    name: str

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, on_delta: DeltaCallback | None = None
    ) -> ModelReply:
        """Return the next assistant reply for `messages`."""
        ...


class ModelWrapper:
    """Base for models that wrap another: same name, and the retry callback reaches the inner backend."""

    def __init__(self, inner: Model) -> None:
        self.inner = inner
        self.name = inner.name

    @property
    def on_retry(self) -> Any:
        """The inner backend's retry callback (build_session wires it to a Notice)."""
        return getattr(self.inner, "on_retry", None)

    @on_retry.setter
    def on_retry(self, value: Any) -> None:
        if hasattr(self.inner, "on_retry"):
            self.inner.on_retry = value


def message_from_dict(raw: dict[str, Any], index: int) -> ModelReply:
    """Build a reply from an OpenAI-format assistant message dict (scripted turns, logs)."""
    calls = []
    for j, call in enumerate(raw.get("tool_calls") or []):
        fn = call.get("function", call)
        args = fn.get("arguments", "{}")
        if not isinstance(args, str):
            import json

            args = json.dumps(args)
        calls.append(ToolCall(id=call.get("id") or f"call_{index}_{j}", name=fn.get("name", ""), arguments=args))
    return ModelReply(content=raw.get("content") or "", tool_calls=calls)
