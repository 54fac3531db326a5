"""A fake Anthropic Messages API on 127.0.0.1: validates requests like Anthropic, streams SSE, simulates its prompt
cache (tests of litellm's real anthropic path: breakpoints, cache usage, cost)."""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from agent.fakes.openai import LoopbackServer, QuietHandler

Step = dict[str, Any]  # {"content": str, "tool_calls": [{"name", "arguments"}]} or {"status": int, "error": str}
MAX_CACHE_CONTROL = 4
SUMMARY = "## Task\nThe task.\n## Decisions\nNone yet.\n## Files changed\nnone\n## Tests and status\nnot run"


@dataclass
class Served:
    """One request as received, and the usage the fake answered with."""

    body: dict[str, Any]
    headers: dict[str, str]
    usage: dict[str, int] = field(default_factory=dict)
    error: str = ""


class FakeAnthropicServer(LoopbackServer):
    """Serves POST /v1/messages from scripted steps; a summariser request (no tools) gets a canned summary."""

    def __init__(self, steps: list[Step] | None = None, summary: str = SUMMARY) -> None:
        self.steps: list[Step] = list(steps or [])
        self.summary = summary
        self.served: list[Served] = []
        self._cache: set[str] = set()  # hashes of prefixes written at a breakpoint
        self._lock = threading.Lock()
        self._serve(_handler_for(self))

    @property
    def base_url(self) -> str:
        """The api_base to give litellm (it appends /v1/messages itself)."""
        return f"http://127.0.0.1:{self.port}"

    def answer(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[Served, Step]:
        """Validate, price the prompt against the simulated cache and pick the reply."""
        with self._lock:
            served = Served(body=body, headers=headers)
            self.served.append(served)
            served.error = validate(body, headers)
            if served.error:
                return served, {"status": 400, "error": served.error}
            served.usage = self._usage(body)
            if not body.get("tools"):
                return served, {"content": self.summary}
            if not self.steps:
                return served, {"status": 500, "error": "fake server: script exhausted"}
            return served, self.steps.pop(0)

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Tokens of the prompt split into cache reads, cache writes and the rest, like Anthropic reports them."""
        from agent.context.tokens import count_text

        blocks = prompt_blocks(body)
        sizes = [count_text(_canonical(b)) for b in blocks]
        marks = [i + 1 for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")]
        cut = max(marks, default=0)
        keys = [_prefix_key(blocks[:k]) for k in range(cut + 1)]
        hit = max((k for k in range(cut + 1) if k and keys[k] in self._cache), default=0)
        self._cache.update(keys[k] for k in marks)
        read = sum(sizes[:hit])
        write = sum(sizes[hit:cut])
        return {"input_tokens": sum(sizes) - read - write, "cache_creation_input_tokens": write,
                "cache_read_input_tokens": read}


def prompt_blocks(body: dict[str, Any]) -> list[Any]:
    """The prompt in cache order: tools, system blocks, then every message's content blocks."""
    blocks: list[Any] = list(body.get("tools") or [])
    system = body.get("system")
    blocks += [{"type": "text", "text": system}] if isinstance(system, str) else list(system or [])
    for message in body.get("messages") or []:
        content = message.get("content")
        blocks += [{"type": "text", "text": content, "role": message.get("role")}] if isinstance(content, str) \
            else [{**b, "role": message.get("role")} for b in content or []]
    return blocks


def _canonical(block: Any) -> str:
    """A block as text, without its cache mark (a mark does not change what is cached)."""
    if isinstance(block, dict):
        block = {k: v for k, v in block.items() if k != "cache_control"}
    return json.dumps(block, sort_keys=True)


def _prefix_key(blocks: list[Any]) -> str:
    """A hash naming a prefix of blocks."""
    return hashlib.sha256("\x00".join(_canonical(b) for b in blocks).encode()).hexdigest()


def validate(body: dict[str, Any], headers: dict[str, str]) -> str:
    """Anthropic's answer to a malformed request ('' when it is well formed)."""
    if not headers.get("x-api-key"):
        return "x-api-key header is required"
    if not headers.get("anthropic-version"):
        return "anthropic-version: header is required"
    if not body.get("model") or not isinstance(body.get("max_tokens"), int):
        return "model and max_tokens: fields are required"
    messages = body.get("messages") or []
    if not messages or messages[0].get("role") != "user":
        return "messages: the first message must use the user role"
    marks = sum(1 for b in prompt_blocks(body) if isinstance(b, dict) and b.get("cache_control"))
    if marks > MAX_CACHE_CONTROL:
        return f"A maximum of {MAX_CACHE_CONTROL} blocks with cache_control may be provided. Found {marks}."
    for i, message in enumerate(messages):
        problem = _check_message(i, message, messages)
        if problem:
            return problem
    return ""


def _check_message(i: int, message: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    """Role alternation, non-empty text, tool_use/tool_result pairing for one message."""
    role = message.get("role")
    if role not in ("user", "assistant") or (i and messages[i - 1].get("role") == role):
        return f"messages.{i}: roles must alternate between \"user\" and \"assistant\""
    content = message.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
    if not blocks or any(b.get("type") == "text" and not str(b.get("text", "")).strip() for b in blocks):
        return f"messages.{i}: text content blocks must be non-empty"
    uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
    if uses:
        after = messages[i + 1] if i + 1 < len(messages) else {}
        got = [b.get("tool_use_id") for b in after.get("content") or [] if isinstance(b, dict)
               and b.get("type") == "tool_result"] if isinstance(after.get("content"), list) else []
        missing = [u for u in uses if u not in got]
        if missing:
            return (f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(missing)}")
    results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
    if results:
        before = messages[i - 1].get("content") if i else []
        known = {b.get("id") for b in before if isinstance(b, dict)} if isinstance(before, list) else set()
        unknown = [r for r in results if r not in known]
        if unknown:
            return f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` blocks: {unknown[0]}"
    return ""


def _handler_for(fake: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake server."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            """Answer /v1/messages; anything else is a 404 like Anthropic's."""
            raw = self.read_body()
            if self.path.split("?")[0] != "/v1/messages":
                self._json(404, _error("not_found_error", f"Not Found: {self.path}"))
                return
            body = json.loads(raw)
            served, step = fake.answer(body, {k.lower(): v for k, v in self.headers.items()})
            if "status" in step:
                kind = "invalid_request_error" if step["status"] == 400 else "api_error"
                self._json(int(step["status"]), _error(kind, step.get("error", "error")))
            elif body.get("stream"):
                self._stream(_events(step, body, served.usage))
            else:
                self._json(200, _message(step, body, served.usage))

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            """Send one JSON response."""
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, events: list[dict[str, Any]]) -> None:
            """Send server-sent events, one `event:` and `data:` pair each."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for event in events:
                self.wfile.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.close_connection = True

    return Handler


def _error(kind: str, message: str) -> dict[str, Any]:
    """Anthropic's error body."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def _content(step: Step) -> list[dict[str, Any]]:
    """The reply's content blocks: text (if any), then tool_use blocks."""
    blocks: list[dict[str, Any]] = [{"type": "text", "text": step["content"]}] if step.get("content") else []
    for i, call in enumerate(step.get("tool_calls") or []):
        fn = call.get("function", call)
        args = fn.get("arguments", {})
        blocks.append({"type": "tool_use", "id": call.get("id") or f"toolu_{len(blocks)}_{i}", "name": fn["name"],
                       "input": json.loads(args) if isinstance(args, str) else args})
    return blocks


def _output_tokens(step: Step) -> int:
    """A stable, rough count of the reply."""
    return max(1, len(json.dumps(_content(step))) // 4)


def _message(step: Step, body: dict[str, Any], usage: dict[str, int]) -> dict[str, Any]:
    """A non-streaming Messages API response."""
    content = _content(step)
    return {"id": "msg_fake", "type": "message", "role": "assistant", "model": body.get("model"), "content": content,
            "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn",
            "stop_sequence": None, "usage": {**usage, "output_tokens": _output_tokens(step)}}


def _events(step: Step, body: dict[str, Any], usage: dict[str, int]) -> list[dict[str, Any]]:
    """The SSE events of one streamed reply, with text_delta and input_json_delta fragments."""
    start = {"id": "msg_fake", "type": "message", "role": "assistant", "model": body.get("model"), "content": [],
             "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    content = _content(step)
    for i, block in enumerate(content):
        if block["type"] == "text":
            events.append({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}})
            text = block["text"]
            events += [{"type": "content_block_delta", "index": i,
                        "delta": {"type": "text_delta", "text": text[j:j + 16]}} for j in range(0, len(text), 16)]
        else:
            events.append({"type": "content_block_start", "index": i,
                           "content_block": {**block, "input": {}}})
            args = json.dumps(block["input"])
            events += [{"type": "content_block_delta", "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": args[j:j + 20]}}
                       for j in range(0, len(args), 20)]
        events.append({"type": "content_block_stop", "index": i})
    stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
    events.append({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                   "usage": {"output_tokens": _output_tokens(step)}})
    events.append({"type": "message_stop"})
    return events
