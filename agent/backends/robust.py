"""Provider faults made plain: stalled streams, 200s that are not an API response, invalid Unicode."""
from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from agent.backends.base import ModelError

DEFAULT_IDLE = 120.0
SURROGATE = re.compile(r"[\ud800-\udfff]")


def idle_timeout() -> float:
    """Seconds a stream may go without content (PITH_STREAM_IDLE_TIMEOUT; default 120; 0 disables)."""
    raw = os.environ.get("PITH_STREAM_IDLE_TIMEOUT", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_IDLE
    except ValueError:
        return DEFAULT_IDLE
    return value if value > 0 else float("inf")


def has_content(chunk: Any) -> bool:
    """Whether a stream chunk carries text, a tool-call fragment, a finish reason or usage (not a keep-alive)."""
    if getattr(chunk, "usage", None):
        return True
    for choice in getattr(chunk, "choices", None) or []:
        delta = getattr(choice, "delta", None)
        if getattr(choice, "finish_reason", None) or getattr(delta, "content", None) or getattr(delta, "tool_calls", None):
            return True
    return False


async def chunks_until_idle(stream: Any, idle: float) -> AsyncIterator[Any]:
    """The stream's chunks; ModelError(kind="timeout") when `idle` seconds pass with no content, or none at all."""
    iterator = stream.__aiter__()
    last = time.monotonic()
    seen = 0
    while True:
        left = idle - (time.monotonic() - last)
        try:
            if left <= 0:
                raise asyncio.TimeoutError
            chunk = await asyncio.wait_for(iterator.__anext__(), None if left == float("inf") else left)
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            await _close(stream)
            raise ModelError(f"the provider's stream sent no content for {idle:.0f}s (stalled; "
                             "PITH_STREAM_IDLE_TIMEOUT sets the limit)", kind="timeout") from None
        seen += 1
        if has_content(chunk):
            last = time.monotonic()
        yield chunk
    if not seen:
        raise ModelError("the provider's stream ended without sending any data (an empty or non-API response)",
                         kind="bad_response")


async def _close(stream: Any) -> None:
    """Drop the connection of a stalled stream (best effort: wrappers differ)."""
    for obj in (stream, getattr(stream, "completion_stream", None)):
        for name in ("aclose", "close"):
            method = getattr(obj, name, None)
            if method is None:
                continue
            try:
                result = method()
                if asyncio.iscoroutine(result):
                    await asyncio.wait_for(result, 2)
                return
            except Exception:
                continue


async def check_stream_response(stream: Any) -> None:
    """A 200 whose body is not an event stream (an HTML error page, garbage) is a provider error with its first line."""
    response = getattr(getattr(stream, "completion_stream", None), "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return
    kind = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if not kind or kind == "text/event-stream":
        return
    try:
        body = await asyncio.wait_for(response.aread(), 10)
    except Exception:
        body = b""
    raise ModelError(f"the provider answered 200 with {kind}, not an event stream: {first_line(body)}",
                     kind="bad_response")


def first_line(body: bytes | str) -> str:
    """The first non-blank line of a body, printable and short."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "(empty body)")
    line = "".join(ch if ch.isprintable() else "?" for ch in line)
    return line[:200] + ("…" if len(line) > 200 else "")


def escape_surrogates(arguments: str) -> str:
    """Tool-call JSON with lone surrogates written as \\uXXXX escapes: valid text everywhere (logs, terminals,
    the next request), while decoding it still yields the surrogate, so the call is answered with an error."""
    return SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", arguments)


def clean_text(text: str) -> str:
    """Assistant text with lone surrogates replaced (U+FFFD)."""
    return SURROGATE.sub("\ufffd", text) if text else text


def bad_body(exc: BaseException) -> ModelError | None:
    """A ModelError naming the body's first line when an exception came from a 200 that was not JSON, else None."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        doc = getattr(cause, "doc", None)
        if isinstance(cause, ValueError) and isinstance(doc, str):
            return ModelError(f"the provider's response is not JSON: {first_line(doc)}", kind="bad_response")
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    marker = "Empty or invalid response from LLM endpoint. Received: "
    if marker in text:
        body = text.split(marker, 1)[1].strip("'\" ")
        return ModelError(f"the provider's response is not an API response: {first_line(body)}", kind="bad_response")
    return None
