"""The text tool protocol: tools described in the system prompt, calls written in the reply and parsed back."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from agent.backends.base import DeltaCallback, ModelReply, ModelWrapper, ToolCall

FORMAT_ERROR = "__format_error__"  # pseudo-tool carrying a malformed call; its result is rewritten for the model
FORMAT_HINT = 'Write each call as a fenced block: ```json\n{"tool": "NAME", "arguments": {...}}\n```'
_FENCE = re.compile(r"```[ \t]*([\w-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)
_TAGGED = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.S)
_INLINE = re.compile(r'\{\s*"tool"\s*:')
_CALL_FENCES = {"json", "tool", "tool_call", "tool_code"}


@dataclass
class ParsedCall:
    """One call found in a reply: a tool name and raw JSON arguments, or a format error."""

    name: str
    arguments: str = "{}"
    error: str = ""
    text: str = ""  # what the model wrote, kept for format errors


def parse_calls(text: str) -> tuple[list[ParsedCall], str]:
    """(calls in order, the prose left once the call blocks are cut out)."""
    spans: list[tuple[int, int, list[ParsedCall]]] = []
    other: list[tuple[int, int, list[ParsedCall]]] = []  # code fences that are not calls
    for match in _FENCE.finditer(text):
        lang, body = match.group(1).lower(), match.group(2).strip()
        if lang in _CALL_FENCES or (not lang and _looks_like_call(body)):
            spans.append((match.start(), match.end(), _parse_block(body)))
        else:
            other.append((match.start(), match.end(), []))
    for match in _TAGGED.finditer(text):
        if not _inside(match.start(), spans + other):
            spans.append((match.start(), match.end(), _parse_block(match.group(1).strip())))
    for match in _INLINE.finditer(text):
        if not _inside(match.start(), spans + other):
            end, calls = _parse_inline(text, match.start())
            spans.append((match.start(), end, calls))
    spans.sort(key=lambda s: s[0])
    calls = [call for _, _, found in spans for call in found]
    prose, last = [], 0
    for start, end, _ in spans:
        prose.append(text[last:start])
        last = end
    prose.append(text[last:])
    return calls, re.sub(r"\n{3,}", "\n\n", "".join(prose)).strip()


def _inside(pos: int, spans: list[tuple[int, int, list[ParsedCall]]]) -> bool:
    """Whether `pos` falls in an already parsed block."""
    return any(start <= pos < end for start, end, _ in spans)


def _looks_like_call(body: str) -> bool:
    """An unlabelled fence counts as a call only when it is JSON naming a tool."""
    return body.startswith(("{", "[")) and '"tool"' in body


def _parse_inline(text: str, start: int) -> tuple[int, list[ParsedCall]]:
    """A call object written straight into prose: (end offset, calls)."""
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError:
        end = text.find("\n\n", start)
        end = len(text) if end < 0 else end
        return end, _parse_block(text[start:end].strip())
    return end, _calls_from_value(value, text[start:end])


def _parse_block(body: str) -> list[ParsedCall]:
    """The calls in one block: an object, a list of objects, or a format error."""
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        return [_bad_json(body, exc)]
    return _calls_from_value(value, body)


def _calls_from_value(value: Any, body: str) -> list[ParsedCall]:
    """Validate decoded JSON as one call or a list of calls."""
    items = value if isinstance(value, list) else [value]
    if not items:
        return [ParsedCall(FORMAT_ERROR, error="the call block holds an empty list; " + FORMAT_HINT, text=body)]
    return [_call_from_object(item, body) for item in items]


def _call_from_object(item: Any, body: str) -> ParsedCall:
    """One call object: needs "tool" (or "name") and an object of "arguments"."""
    if not isinstance(item, dict):
        return ParsedCall(FORMAT_ERROR, text=body,
                          error=f"a tool call must be a JSON object, got {type(item).__name__}; " + FORMAT_HINT)
    name = item.get("tool", item.get("name"))
    if not isinstance(name, str) or not name.strip():
        keys = ", ".join(repr(k) for k in item) or "none"
        return ParsedCall(FORMAT_ERROR, text=body,
                          error=f'the call has no "tool" key with the tool name (keys: {keys}); ' + FORMAT_HINT)
    args = item.get("arguments", item.get("parameters", {}))
    if isinstance(args, str):  # some models double-encode; the loop reports bad JSON precisely
        return ParsedCall(name.strip(), arguments=args)
    return ParsedCall(name.strip(), arguments=json.dumps(args))


def _bad_json(body: str, exc: json.JSONDecodeError) -> ParsedCall:
    """A block that is not JSON: hand broken arguments to the loop's bad-JSON path, else a format error."""
    named = re.search(r'"(?:tool|name)"\s*:\s*"([\w.-]+)"', body)
    args_at = re.search(r'"(?:arguments|parameters)"\s*:\s*', body)
    if named and args_at:
        raw = body[args_at.end():].rstrip()
        raw = raw[:-1].rstrip() if raw.endswith("}") and raw.count("{") < raw.count("}") else raw
        try:
            json.loads(raw)
        except json.JSONDecodeError:
            return ParsedCall(named.group(1), arguments=raw)  # decode_arguments names the exact fault
    line, col = exc.lineno, exc.colno
    near = body[max(0, exc.pos - 20): exc.pos + 20]
    return ParsedCall(FORMAT_ERROR, text=body, error=(
        f"the tool call is not valid JSON ({exc.msg} at line {line} column {col}, near {near!r}); "
        "use double quotes, escape newlines in strings as \\n, and balance the braces. " + FORMAT_HINT))


def to_tool_calls(parsed: list[ParsedCall]) -> list[ToolCall]:
    """ToolCall objects with fresh ids; format errors become calls to the pseudo-tool."""
    calls = []
    for call in parsed:
        ident = "call_" + secrets.token_hex(4)
        if call.error:
            calls.append(ToolCall(ident, FORMAT_ERROR, json.dumps({"error": call.error, "text": call.text})))
        else:
            calls.append(ToolCall(ident, call.name, call.arguments))
    return calls


def describe_tools(tools: list[dict[str, Any]]) -> str:
    """Each tool as `name(param*: type, ...): description`, with parameter notes indented below."""
    lines = []
    for tool in tools:
        fn = tool.get("function", tool)
        schema = fn.get("parameters") or {}
        defs = schema.get("$defs", {})
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        sig = ", ".join(f"{n}{'*' if n in required else ''}: {_type(p, defs)}" for n, p in props.items())
        lines.append(f"- {fn['name']}({sig}): {fn.get('description', '').strip()}")
        lines += [f"    {n}: {p['description']}" for n, p in props.items() if p.get("description")]
    return "\n".join(lines)


def _type(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> str:
    """A compact type: string, integer, a|b, array[...], {field*: type}."""
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "enum" in schema:
        return "|".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        kinds = [_type(s, defs, depth) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(kinds) or "null"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array[{_type(schema.get('items', {}), defs, depth + 1)}]"
    if kind == "object" and schema.get("properties") and depth < 2:
        req = set(schema.get("required", []))
        inner = ", ".join(f"{n}{'*' if n in req else ''}: {_type(p, defs, depth + 1)}"
                          for n, p in schema["properties"].items())
        return "{" + inner + "}"
    return str(kind)


def system_section(tools: list[dict[str, Any]]) -> str:
    """The protocol text appended to the system prompt."""
    from prompts import load

    return load("text_protocol.md").replace("{tools}", describe_tools(tools))


def render_call(name: str, arguments: str) -> str:
    """A prior call written back in the protocol's own format."""
    try:
        args = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return f'```json\n{{"tool": {json.dumps(name)}, "arguments": {arguments}}}\n```'
    return "```json\n" + json.dumps({"tool": name, "arguments": args}) + "\n```"


def to_text_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The conversation with tool calls and results as plain text, and the protocol in the system prompt."""
    names: dict[str, tuple[str, str]] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            out.append({"role": "assistant", "content": _assistant_text(message, names)})
        elif role == "tool":
            _append_user(out, _result_text(message, names))
        elif role == "user":
            _append_user(out, message.get("content") or "")
        else:
            out.append({"role": role, "content": message.get("content") or ""})
    if tools:
        section = system_section(tools)
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{section}"}
        else:
            out.insert(0, {"role": "system", "content": section})
    return out


def _assistant_text(message: dict[str, Any], names: dict[str, tuple[str, str]]) -> str:
    """Assistant prose followed by its calls as blocks (malformed ones as the model wrote them)."""
    parts = [message.get("content") or ""]
    for call in message["tool_calls"]:
        fn = call.get("function", {})
        name, arguments = fn.get("name", ""), fn.get("arguments", "{}")
        if name == FORMAT_ERROR:
            info = _format_info(arguments)
            names[call.get("id", "")] = (FORMAT_ERROR, info.get("error", ""))
            parts.append(f"```json\n{info.get('text', '')}\n```")
        else:
            names[call.get("id", "")] = (name, "")
            parts.append(render_call(name, arguments))
    return "\n\n".join(p for p in parts if p.strip())


def _format_info(arguments: str) -> dict[str, str]:
    """The error and original text stored in a format-error pseudo-call."""
    try:
        info = json.loads(arguments)
    except json.JSONDecodeError:
        return {}
    return info if isinstance(info, dict) else {}


def _result_text(message: dict[str, Any], names: dict[str, tuple[str, str]]) -> str:
    """A tool result as a user message; a format error gets the precise message, not 'unknown tool'."""
    ident = message.get("tool_call_id", "")
    name, error = names.get(ident, ("tool", ""))
    if name == FORMAT_ERROR:
        return f"[format error]\n{error}"
    return f"[result of {ident} {name}]\n{message.get('content') or ''}"


def _append_user(out: list[dict[str, Any]], text: str) -> None:
    """Add user text, merging with a preceding user message (chat templates want alternating roles)."""
    if out and out[-1]["role"] == "user":
        out[-1] = {"role": "user", "content": f"{out[-1]['content']}\n\n{text}"}
    else:
        out.append({"role": "user", "content": text})


def reply_from_text(reply: ModelReply) -> ModelReply:
    """The reply with calls parsed out of its text (native calls, if any, are kept first)."""
    parsed, prose = parse_calls(reply.content)
    if not parsed:
        return reply
    return ModelReply(content=prose, tool_calls=reply.tool_calls + to_tool_calls(parsed),
                      input_tokens=reply.input_tokens, output_tokens=reply.output_tokens,
                      cached_tokens=reply.cached_tokens, cost=reply.cost)


class TextProtocolModel(ModelWrapper):
    """Wraps any Model: sends no `tools`, describes them in the prompt and parses calls from the reply."""

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, on_delta: DeltaCallback | None = None
    ) -> ModelReply:
        """Ask the inner model in plain text and turn the calls it wrote into ToolCalls."""
        reply = await self.inner.complete(to_text_messages(messages, tools), None, on_delta)
        return reply_from_text(reply)
