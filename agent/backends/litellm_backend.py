"""Every API provider and OpenAI-compatible local server through litellm, imported lazily."""
from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.backends import robust
from agent.backends.base import DeltaCallback, ModelError, ModelReply, ToolCall


def prepare_offline_env() -> None:
    """Environment that keeps litellm and tiktoken off the network (set before importing them)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")  # else litellm loads a .env (a repo's can redirect API keys)
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        if spec and spec.submodule_search_locations:
            folder = Path(list(spec.submodule_search_locations)[0]) / "litellm_core_utils" / "tokenizers"
            if folder.is_dir():
                os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)


def load_litellm() -> Any:
    """Import litellm with network lookups and debug chatter switched off."""
    prepare_offline_env()
    import litellm

    litellm.suppress_debug_info = True
    litellm.drop_params = True
    return litellm


# Phrases servers use when they refuse `tools`: Ollama "does not support tools", vLLM "requires
# --enable-auto-tool-choice", llama.cpp "tools param requires --jinja flag" / "Cannot use tools with stream".
_NO_TOOLS = ("support", "not allowed", "requires", "jinja", "cannot use tools", "tool-call-parser")


def classify(exc: Exception) -> ModelError:
    """Map a litellm/openai exception to a ModelError with a kind and a clear message."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    text = re.sub(r"^(litellm\.)?\w+(Error|Exception)?: (\w+(Error|Exception): )*", "", str(exc).split("\n")[0])[:400]
    retry_after = _retry_after(exc)
    table = [
        ("ContextWindowExceeded", "context_length"),
        ("Authentication", "auth"),
        ("PermissionDenied", "auth"),
        ("NotFound", "not_found"),
        ("RateLimit", "rate_limit"),
        ("Timeout", "timeout"),
        ("APIConnection", "connection"),
        ("ServiceUnavailable", "server"),
        ("InternalServer", "server"),
        ("BadRequest", "bad_request"),
        ("UnsupportedParams", "bad_request"),
    ]
    kind = next((k for key, k in table if key in name), "other")
    if kind in ("other", "bad_request") and isinstance(status, int):
        kind = {401: "auth", 403: "auth", 404: "not_found", 429: "rate_limit"}.get(status, kind)
        if status >= 500:
            kind = "server"
    lowered = text.lower()
    if "connection error" in lowered or "connecterror" in lowered or "connection refused" in lowered:
        kind = "connection"
    if kind == "bad_request" and ("context length" in lowered or "maximum context" in lowered or "too many tokens" in lowered):
        kind = "context_length"
    if kind == "bad_request" and "tool" in lowered and any(w in lowered for w in _NO_TOOLS):
        kind = "tools_unsupported"
    error = ModelError(f"{name}: {text}", kind=kind, retry_after=retry_after)
    error.status = status if isinstance(status, int) else None  # type: ignore[attr-defined]
    return error


def retry_reason(err: ModelError) -> str:
    """What went wrong, for the retry notice: 'server error 503 from the provider'."""
    status = getattr(err, "status", None)
    code = f" {status}" if status else ""
    if err.kind == "connection":
        return "cannot reach the provider"
    if err.kind == "timeout":
        return "the provider timed out"
    if err.kind == "rate_limit":
        return f"rate limited by the provider{code}"
    return f"{err.kind.replace('_', ' ')} error{code} from the provider"


def _retry_after(exc: Exception) -> float | None:
    """Seconds from a Retry-After header, when the provider sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or getattr(exc, "litellm_response_headers", None) or {}
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def normalise_api_base(model: str, api_base: str | None) -> tuple[str | None, str]:
    """(api_base, notice): litellm appends /v1/messages for anthropic/, so a base ending in /v1 would 404."""
    if not api_base or not model.lower().startswith("anthropic/"):
        return api_base, ""
    trimmed = api_base.rstrip("/")
    if not trimmed.endswith("/v1"):
        return api_base, ""
    fixed = trimmed[: -len("/v1")]
    return fixed, f"--api-base {api_base}: anthropic/ models add /v1/messages themselves; using {fixed}"


class LiteLLMModel:
    """Chat completions (streamed unless `stream=False`) with native tool calls, retries and cost."""

    def __init__(
        self,
        name: str,
        api_base: str | None = None,
        api_key: str | None = None,
        retries: int = 4,
        timeout: float = 600.0,
        on_retry: Callable[[str], None] | None = None,
        backoff_base: float = 1.0,
        extra: dict[str, Any] | None = None,
        stream: bool = True,
        idle_timeout: float | None = None,
    ) -> None:
        self.name = name
        self.api_base = api_base
        self.api_key = api_key
        self.retries = retries
        self.timeout = timeout
        self.on_retry = on_retry
        self.backoff_base = backoff_base
        self.extra = extra or {}
        self.stream = stream  # llama.cpp and some others cannot stream with tools: --no-stream
        self.idle_timeout = idle_timeout if idle_timeout is not None else robust.idle_timeout()
        self.api_base, self.base_notice = normalise_api_base(name, api_base)

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, on_delta: DeltaCallback | None = None
    ) -> ModelReply:
        """One completion, retried with backoff on rate limits, 5xx, timeouts and dropped connections."""
        attempt = 0
        while True:
            try:
                return await self._once(messages, tools, on_delta)
            except ModelError as err:
                # A refused connection rarely heals in seconds: retry it once, not the full budget.
                budget = min(self.retries, 1) if err.kind == "connection" else self.retries
                if not err.retryable or attempt >= budget:
                    raise
                delay = err.retry_after if err.retry_after is not None else self.backoff_base * 2**attempt
                delay = min(delay, 60.0) * (1 + random.random() * 0.1)
                attempt += 1
                if self.on_retry:
                    self.on_retry(f"{retry_reason(err)}; retry {attempt}/{budget} in {delay:.1f}s")
                await asyncio.sleep(delay)

    async def _once(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, on_delta: DeltaCallback | None
    ) -> ModelReply:
        """A single request, streamed or not."""
        if self.base_notice and self.on_retry:  # said once, through the session's notice hook
            self.on_retry(self.base_notice)
            self.base_notice = ""
        litellm = await asyncio.to_thread(load_litellm)
        kwargs: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "stream": self.stream,
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,
            **self.extra,
        }
        if self.stream:
            kwargs["stream_options"] = {"include_usage": True}
        if tools:
            kwargs["tools"] = tools
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.api_base and self.name.startswith(("openai/", "hosted_vllm/")) and not os.environ.get("OPENAI_API_KEY"):
            kwargs["api_key"] = "no-key"  # local OpenAI-compatible servers need none, but the client insists on one
        try:
            response = await litellm.acompletion(**kwargs)
            if not self.stream:
                return self._whole(response, on_delta)
            await robust.check_stream_response(response)
            return await self._collect(response, on_delta)
        except ModelError:
            raise
        except Exception as exc:  # litellm raises many exception types; classify them all
            err = robust.bad_body(exc) or classify(exc)
            if err.kind == "connection" and self.api_base:
                err = ModelError(f"cannot reach {self.api_base}: {err}", kind="connection")
            raise err from None

    async def _collect(self, stream: Any, on_delta: DeltaCallback | None) -> ModelReply:
        """Accumulate streamed text, tool-call fragments and usage."""
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        reply = ModelReply(content="")
        usage = None
        async for chunk in robust.chunks_until_idle(stream, self.idle_timeout):  # keep-alives alone time out
            if getattr(chunk, "usage", None):
                usage = chunk.usage
                self._usage(reply, usage)
            for choice in getattr(chunk, "choices", None) or []:
                delta = choice.delta
                if getattr(delta, "content", None):
                    text.append(delta.content)
                    if on_delta:
                        on_delta(delta.content)
                for frag in getattr(delta, "tool_calls", None) or []:
                    slot = calls.setdefault(frag.index or 0, {"id": "", "name": "", "arguments": ""})
                    slot["id"] = slot["id"] or (frag.id or "")
                    if frag.function is not None:
                        slot["name"] += frag.function.name or ""
                        slot["arguments"] += frag.function.arguments or ""
        reply.content = robust.clean_text("".join(text))
        reply.tool_calls = [
            ToolCall(id=c["id"] or f"call_{i}", name=robust.clean_text(c["name"]),
                     arguments=robust.escape_surrogates(c["arguments"] or "{}"))
            for i, c in sorted(calls.items())
        ]
        reply.cost = self._cost(reply, usage)
        return reply

    def _whole(self, response: Any, on_delta: DeltaCallback | None) -> ModelReply:
        """A non-streamed response: the message, its tool calls and usage."""
        choices = getattr(response, "choices", None) or []
        message = choices[0].message if choices else None
        reply = ModelReply(content=robust.clean_text((getattr(message, "content", None) or "") if message else ""))
        for i, call in enumerate(getattr(message, "tool_calls", None) or []):
            fn = call.function
            reply.tool_calls.append(ToolCall(id=call.id or f"call_{i}", name=robust.clean_text(fn.name or ""),
                                             arguments=robust.escape_surrogates(fn.arguments or "{}")))
        if reply.content and on_delta:
            on_delta(reply.content)
        usage = getattr(response, "usage", None)
        if usage:
            self._usage(reply, usage)
        reply.cost = self._cost(reply, usage or None)
        return reply

    def _usage(self, reply: ModelReply, usage: Any) -> None:
        """Copy token counts, with the provider's cache reads and writes (kept whole for pricing)."""
        reply.input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        reply.output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        read = getattr(usage, "cache_read_input_tokens", None) or getattr(details, "cached_tokens", None) or 0
        write = getattr(usage, "cache_creation_input_tokens", None) or getattr(details, "cache_creation_tokens", None)
        reply.cache_read_tokens = reply.cached_tokens = int(read)
        reply.cache_write_tokens = int(write or 0)

    def _cost(self, reply: ModelReply, usage: Any = None) -> float | None:
        """Cost in USD priced as the provider prices cache reads and writes; None when unknown (never raises)."""
        try:
            import litellm

            if usage is not None:
                prompt, completion = litellm.cost_per_token(model=self.name, usage_object=usage)
            else:
                prompt, completion = litellm.cost_per_token(
                    model=self.name, prompt_tokens=reply.input_tokens, completion_tokens=reply.output_tokens
                )
            total = float(prompt) + float(completion)
        except Exception:  # unknown model: litellm raises; cost is simply unknown
            return None
        if total == 0.0 and (reply.input_tokens or reply.output_tokens):
            return None
        return total
