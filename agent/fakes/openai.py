"""A fake OpenAI-compatible server on 127.0.0.1 answering from a script (tests and demos)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Step = dict[str, Any]  # an assistant message, or {"status": int, "error": str, "headers": {...}}


class QuietHandler(BaseHTTPRequestHandler):
    """The fakes' shared request handling: no Nagle delay, keep-alive, no log lines, JSON bodies."""

    disable_nagle_algorithm = True  # else each keep-alive request stalls ~40 ms
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        """Keep test output clean."""

    def read_body(self) -> bytes:
        """The request body ({} when empty)."""
        return self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}"


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (a free port), started and stopped as a context manager."""

    _server: ThreadingHTTPServer
    _thread: threading.Thread

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        """Bind now; serve once entered."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._server.server_address[1])

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeOpenAIServer(LoopbackServer):
    """Serves /v1/chat/completions (streaming SSE or JSON) from a list of scripted steps."""

    def __init__(self, steps: list[Step] | None = None, *, reject_tools: bool = False) -> None:
        self.steps: list[Step] = list(steps or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # each request's HTTP headers, names lowercased (where keys went)
        self.reject_tools = reject_tools
        self._lock = threading.Lock()
        self._serve(_handler_for(self))

    @property
    def base_url(self) -> str:
        """The api_base to give litellm."""
        return f"http://127.0.0.1:{self.port}/v1"

    def next_step(self, body: dict[str, Any]) -> Step:
        """Record the request and pop the next scripted step."""
        with self._lock:
            self.requests.append(body)
            if self.reject_tools and body.get("tools"):
                return {"status": 400, "error": "tools are not supported by this server"}
            if not self.steps:
                return {"status": 500, "error": "fake server: script exhausted"}
            return self.steps.pop(0)


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one fake server."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            """Answer a chat completion."""
            body = json.loads(self.read_body())
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            step = fake.next_step(body)
            if "fault" in step:
                _send_fault(self, step)
            elif "status" in step:
                self._error(step)
            elif body.get("stream"):
                self._stream(step, body)
            else:
                self._json(200, _completion(step, body))

        def _error(self, step: Step) -> None:
            """Send a scripted HTTP error in OpenAI's error shape."""
            if step.get("delay"):
                time.sleep(float(step["delay"]))
            payload = {"error": {"message": step.get("error", "error"), "type": "fake", "code": step["status"]}}
            self._json(int(step["status"]), payload, step.get("headers") or {})

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            """Send one JSON response."""
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, step: Step, body: dict[str, Any]) -> None:
            """Send the message as SSE chunks: text in pieces, then tool calls, then usage."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in _chunks(step, body):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def _usage(step: Step, body: dict[str, Any]) -> dict[str, int]:
    """Scripted usage, or a rough count of the request."""
    if step.get("usage"):
        return step["usage"]
    prompt = len(json.dumps(body.get("messages", []))) // 4
    completion = len(json.dumps(step)) // 4
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _tool_calls(step: Step) -> list[dict[str, Any]]:
    """Tool calls with ids and string arguments."""
    calls = []
    for i, call in enumerate(step.get("tool_calls") or []):
        fn = call.get("function", call)
        args = fn.get("arguments", {})
        calls.append({
            "id": call.get("id") or f"call_{i}_{int(time.time() * 1000) % 100000}",
            "type": "function",
            "function": {"name": fn["name"], "arguments": args if isinstance(args, str) else json.dumps(args)},
        })
    return calls


def _completion(step: Step, body: dict[str, Any]) -> dict[str, Any]:
    """A non-streaming chat.completion object."""
    calls = _tool_calls(step)
    message: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": _usage(step, body),
    }


def _chunks(step: Step, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The SSE chunk objects for one streamed reply."""
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "fake")}
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    text = step.get("content") or ""
    for i in range(0, len(text), 16):
        out.append({**base, "choices": [{"index": 0, "delta": {"content": text[i:i + 16]}, "finish_reason": None}]})
    for i, call in enumerate(_tool_calls(step)):
        args = call["function"]["arguments"]
        head = {"index": i, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
        out.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [head]}, "finish_reason": None}]})
        for j in range(0, len(args), 24):
            frag = {"index": i, "function": {"arguments": args[j:j + 24]}}
            out.append({**base, "choices": [{"index": 0, "delta": {"tool_calls": [frag]}, "finish_reason": None}]})
    finish = "tool_calls" if step.get("tool_calls") else "stop"
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    out.append({**base, "choices": [], "usage": _usage(step, body)})
    return out


HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"


def _send_fault(handler: BaseHTTPRequestHandler, step: Step) -> None:
    """A broken 200: "html" (a proxy's error page), "garbage" (not JSON), "keepalive" (a stream that never says
    anything: SSE comments, or empty chunks with `"empty": True`, for `seconds`)."""
    fault = step["fault"]
    if fault == "keepalive":
        _keep_alive(handler, float(step.get("seconds", 30)), bool(step.get("empty")))
        return
    body = HTML_PAGE if fault == "html" else b"garbage{not json at all\n<<<>>>\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html" if fault == "html" else "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _keep_alive(handler: BaseHTTPRequestHandler, seconds: float, empty: bool) -> None:
    """Send keep-alives until the client goes away or `seconds` pass; never any content."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
             "choices": [{"index": 0, "delta": {}, "finish_reason": None}]}
    line = f"data: {json.dumps(chunk)}\n\n".encode() if empty else b": keep-alive\n\n"
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            handler.wfile.write(line)
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:  # the client gave up: what a stalled-stream timeout does
        pass
    handler.close_connection = True
