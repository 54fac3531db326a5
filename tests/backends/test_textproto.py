"""The text tool protocol: parsing calls out of replies, rendering history as text, a full run through litellm."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.backends.base import ToolCall
from agent.backends.textproto import FORMAT_ERROR, describe_tools, parse_calls, to_text_messages
from agent.fakes.openai import FakeOpenAIServer
from agent.core.toolcalls import decode_arguments
from tests.conftest import jsonl, pith_in_process


def block(tool: str, **args: object) -> str:
    """A call in the protocol's fenced format."""
    return "```json\n" + json.dumps({"tool": tool, "arguments": args}) + "\n```"


def test_one_fenced_call() -> None:
    calls, prose = parse_calls("Looking for it.\n\n" + block("grep", pattern="def total"))
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("grep", {"pattern": "def total"})]
    assert prose == "Looking for it." and not calls[0].error


def test_two_calls_in_one_reply_keep_order() -> None:
    text = block("grep", pattern="a") + "\nthen\n" + block("read_symbol", symbol="x.py:f")
    calls, prose = parse_calls(text)
    assert [c.name for c in calls] == ["grep", "read_symbol"] and prose == "then"
    listed, _ = parse_calls('```json\n[{"tool": "outline", "arguments": {"path": "."}}, {"tool": "finish", '
                            '"arguments": {"summary": "s"}}]\n```')
    assert [c.name for c in listed] == ["outline", "finish"]


def test_call_inside_prose_and_tagged_form() -> None:
    inline = 'I will run {"tool": "run", "arguments": {"command": "pytest -q"}} and then report.'
    calls, prose = parse_calls(inline)
    assert calls[0].name == "run" and json.loads(calls[0].arguments) == {"command": "pytest -q"}
    assert prose.startswith("I will run") and prose.endswith("and then report.") and "{" not in prose
    tagged = 'Sure.\n<tool_call>\n{"name": "outline", "arguments": {"path": "shop"}}\n</tool_call>'
    calls, prose = parse_calls(tagged)
    assert calls[0].name == "outline" and json.loads(calls[0].arguments) == {"path": "shop"} and prose == "Sure."
    unclosed, _ = parse_calls('<tool_call>{"tool": "finish", "arguments": {"summary": "ok"}}')
    assert unclosed[0].name == "finish"


def test_plain_text_and_other_code_blocks_are_not_calls() -> None:
    text = 'The fix:\n```python\nx = {"tool": 1}\n```\nand config:\n```\n{"a": 1}\n```'
    calls, prose = parse_calls(text)
    assert calls == [] and prose == text


def test_missing_tool_key_is_a_precise_format_error() -> None:
    calls, _ = parse_calls('```json\n{"arguments": {"pattern": "x"}}\n```')
    assert calls[0].name == FORMAT_ERROR
    assert 'no "tool" key' in calls[0].error and "'arguments'" in calls[0].error and '"tool": "NAME"' in calls[0].error


def test_broken_call_json_is_a_precise_format_error() -> None:
    calls, _ = parse_calls('```json\n{"tool": "grep", "arguments": {"pattern": "x"}\n```')
    assert calls[0].name == FORMAT_ERROR and "not valid JSON" in calls[0].error and "line 1 column" in calls[0].error
    assert calls[0].text.startswith('{"tool": "grep"')


def test_broken_arguments_go_through_the_loops_bad_json_path() -> None:
    calls, _ = parse_calls('```json\n{"tool": "grep", "arguments": {"pattern": "x",}}\n```')
    assert calls[0].name == "grep" and not calls[0].error
    args, error = decode_arguments(ToolCall("c1", calls[0].name, calls[0].arguments))
    assert args is None and error.startswith("arguments for grep are not valid JSON (Expecting property name")


def test_describe_tools_is_compact() -> None:
    from agent.core.registry import default_tools

    text = describe_tools([t.schema() for t in default_tools().values()])
    assert "- grep(pattern*: string, path: string):" in text  # glob and ignore_case are accepted, not advertised
    assert "plan(steps*: array[{step*: string, status: pending|in_progress|done|skipped}])" in text
    assert "$defs" not in text and "anyOf" not in text


def test_history_is_rendered_as_text() -> None:
    calls = [ToolCall("c1", "grep", '{"pattern": "a"}').to_message(),
             ToolCall("c2", FORMAT_ERROR, json.dumps({"error": "no tool key", "text": '{"x": 1}'})).to_message()]
    messages = [
        {"role": "system", "content": "SYS"}, {"role": "user", "content": "task"},
        {"role": "assistant", "content": "", "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c1", "content": "a.py:1: a"},
        {"role": "tool", "tool_call_id": "c2", "content": "error: unknown tool '__format_error__'; ..."},
        {"role": "user", "content": "reminder"},
    ]
    tools = [{"type": "function", "function": {"name": "grep", "description": "Search.", "parameters": {}}}]
    out = to_text_messages(messages, tools)
    assert [m["role"] for m in out] == ["system", "user", "assistant", "user"]
    assert out[0]["content"].startswith("SYS\n\n## Tools") and "- grep(): Search." in out[0]["content"]
    assert out[2]["content"] == block("grep", pattern="a") + '\n\n```json\n{"x": 1}\n```'
    assert out[3]["content"] == "[result of c1 grep]\na.py:1: a\n\n[format error]\nno tool key\n\nreminder"
    assert all("tool_calls" not in m for m in out)


FIX_SCRIPT = [
    {"content": "Plan, then look.\n" + block("plan", steps=[{"step": "find the discount", "status": "in_progress"}])
     + "\n" + block("grep", pattern="def total", glob="*.py")},
    {"content": 'Reading it: <tool_call>{"tool": "read_symbol", "arguments": {"symbol": "shop/cart.py:Cart.total"}}'
                "</tool_call>"},
    {"content": '```json\n{"function": "edit", "arguments": {"path": "shop/cart.py"}}\n```'},
    {"content": "The percent is subtracted as money.\n" + block(
        "edit", path="shop/cart.py", old="return round_cents(subtotal - percent)",
        new="return round_cents(subtotal * (100 - percent) / 100)")},
    {"content": block("run", command=f"{sys.executable} -m unittest -q tests.test_cart")},
    {"content": "Done. " + block("finish", summary="Applied the discount as a percentage; tests pass.")},
]


def test_run_with_text_protocol_end_to_end(demo_repo: Path, session_dir: Path) -> None:
    with FakeOpenAIServer([dict(s) for s in FIX_SCRIPT]) as server:
        proc = pith_in_process(["run", "--json", "--tool-protocol", "text", "-m", "openai/fake-model", "--api-base",
                         server.base_url, "test_total_with_discount fails, fix it"], demo_repo, session_dir)
    assert proc.returncode == 0, proc.stderr
    events = jsonl(proc.stdout)
    result = events[-1]
    assert result["status"] == "finished" and result["verified"] is True
    assert result["files_changed"] == ["shop/cart.py"]
    check = subprocess.run([sys.executable, "-m", "unittest", "-q", "tests.test_cart"], cwd=demo_repo,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert all("tools" not in r for r in server.requests)
    first = server.requests[0]["messages"]
    assert "## Tools" in first[0]["content"] and "- read_symbol(symbol*: string" in first[0]["content"]
    started = [e["name"] for e in events if e["type"] == "tool_call_started"]
    assert started == ["plan", "grep", "read_symbol", FORMAT_ERROR, "edit", "run", "finish"]
    # The model sees results as user text, and the precise format error instead of "unknown tool".
    second = server.requests[1]["messages"]
    assert second[-2]["role"] == "assistant" and '"tool": "grep"' in second[-2]["content"]
    assert second[-1]["role"] == "user" and "[result of call_" in second[-1]["content"]
    assert "grep]\n" in second[-1]["content"] and "def total" in second[-1]["content"]
    fourth = server.requests[3]["messages"]
    assert '[format error]\nthe call has no "tool" key' in fourth[-1]["content"]
    assert fourth[-2]["content"] == '```json\n{"function": "edit", "arguments": {"path": "shop/cart.py"}}\n```'
    assert "unknown tool" not in fourth[-1]["content"]
    assert all(m["role"] in ("system", "user", "assistant") for r in server.requests for m in r["messages"])
