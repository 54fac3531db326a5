"""Every kind of model: auto protocol fallback, non-streaming, unknown costs, local-server quirks (fake server)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.backends.autoproto import AutoProtocolModel
from agent.backends.base import ModelError
from agent.backends.litellm_backend import LiteLLMModel
from agent.backends.textproto import TextProtocolModel
from agent.settings.config import Settings
from agent.fakes.openai import FakeOpenAIServer
from agent.compose import UsageError, make_model
from tests.conftest import jsonl, pith_in_process, run_pith

TOOLS = [{"type": "function", "function": {"name": "grep", "description": "Search.", "parameters": {
    "type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}}}]
ASK = [{"role": "system", "content": "SYS"}, {"role": "user", "content": "find total"}]


def text_call(tool: str, **args: object) -> str:
    """A call in the text protocol's fenced format."""
    return "```json\n" + json.dumps({"tool": tool, "arguments": args}) + "\n```"


def local(server: FakeOpenAIServer, name: str = "openai/fake-local", **kw: object) -> LiteLLMModel:
    """A litellm backend pointed at the fake server, no retries."""
    return LiteLLMModel(name, api_base=server.base_url, api_key="no-key", retries=0, **kw)  # type: ignore[arg-type]


async def test_auto_falls_back_to_text_when_server_rejects_tools() -> None:
    notices: list[str] = []
    with FakeOpenAIServer([{"content": "Searching. " + text_call("grep", pattern="def total")},
                           {"content": "more"}], reject_tools=True) as server:
        model = AutoProtocolModel(local(server), on_notice=notices.append)
        assert model.protocol == "native"
        reply = await model.complete(ASK, TOOLS)
        again = await model.complete(ASK, TOOLS)
    assert [c.name for c in reply.tool_calls] == ["grep"] and reply.content == "Searching."
    assert json.loads(reply.tool_calls[0].arguments) == {"pattern": "def total"}
    assert again.content == "more" and model.protocol == "text"
    assert "tools" in server.requests[0] and "tools" not in server.requests[1] and "tools" not in server.requests[2]
    assert "## Tools" in server.requests[1]["messages"][0]["content"]
    assert notices == [model.switched_reason] and "rejected native tool calls" in notices[0]
    assert "tools are not supported" in notices[0]


async def test_auto_switches_when_model_writes_calls_as_text() -> None:
    notices: list[str] = []
    with FakeOpenAIServer([{"content": text_call("grep", pattern="x")}, {"content": "done"}]) as server:
        model = AutoProtocolModel(local(server), on_notice=notices.append)
        reply = await model.complete(ASK, TOOLS)
        await model.complete(ASK, TOOLS)
    assert [c.name for c in reply.tool_calls] == ["grep"] and reply.content == ""
    assert "tools" in server.requests[0] and "tools" not in server.requests[1]
    assert notices and "wrote its tool calls as text" in notices[0]


async def test_auto_stays_native_for_native_calls_and_prose() -> None:
    steps = [{"content": "", "tool_calls": [{"function": {"name": "grep", "arguments": {"pattern": "a"}}}]},
             {"content": 'An example: {"tool": "teleport", "arguments": {}} is not a real tool.'}]
    with FakeOpenAIServer(steps) as server:
        model = AutoProtocolModel(local(server))
        first = await model.complete(ASK, TOOLS)
        second = await model.complete(ASK, TOOLS)
    assert first.tool_calls[0].name == "grep" and second.tool_calls == []
    assert model.switched_reason is None and all("tools" in r for r in server.requests)


async def test_other_errors_are_not_a_fallback() -> None:
    with FakeOpenAIServer([{"status": 401, "error": "invalid api key"}]) as server:
        model = AutoProtocolModel(local(server))
        with pytest.raises(ModelError) as info:
            await model.complete(ASK, TOOLS)
    assert info.value.kind == "auth" and model.switched_reason is None


@pytest.mark.parametrize("message", [
    "tools param requires --jinja flag",
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    "registry.ollama.ai/library/gemma:2b does not support tools",
    "Cannot use tools with stream",
])
async def test_local_servers_refusing_tools_are_classified(message: str) -> None:
    with FakeOpenAIServer([{"status": 400, "error": message}]) as server:
        with pytest.raises(ModelError) as info:
            await local(server).complete(ASK, TOOLS)
    assert info.value.kind == "tools_unsupported"


async def test_unknown_model_cost_is_none_not_an_error() -> None:
    steps = [{"content": "hi", "usage": {"prompt_tokens": 120, "completion_tokens": 7, "total_tokens": 127}}] * 2
    with FakeOpenAIServer([dict(s) for s in steps]) as server:
        reply = await local(server, "openai/my-own-finetune-q4").complete(ASK, None)
        whole = await local(server, "hosted_vllm/not-a-priced-model", stream=False).complete(ASK, None)
    assert reply.cost is None and reply.input_tokens == 120 and reply.output_tokens == 7
    assert whole.cost is None and whole.input_tokens == 120


async def test_no_stream_returns_text_calls_and_usage() -> None:
    deltas: list[str] = []
    step = {"content": "Looking.", "tool_calls": [{"function": {"name": "grep", "arguments": {"pattern": "a"}}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59}}
    with FakeOpenAIServer([step]) as server:
        reply = await local(server, stream=False).complete(ASK, TOOLS, deltas.append)
    assert not server.requests[0].get("stream") and "stream_options" not in server.requests[0]
    assert reply.content == "Looking." and deltas == ["Looking."]
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [("grep", {"pattern": "a"})]
    assert (reply.input_tokens, reply.output_tokens) == (50, 9)


def test_make_model_applies_tool_protocol(tmp_path: Path) -> None:
    base = {"model": "openai/fake", "api_base": "http://127.0.0.1:9/v1"}
    auto = make_model(Settings(**base))
    text = make_model(Settings(**base, tool_protocol="text", stream=False))
    native = make_model(Settings(**base, tool_protocol="native"))
    assert isinstance(auto, AutoProtocolModel) and isinstance(auto.inner, LiteLLMModel)
    assert isinstance(text, TextProtocolModel) and text.inner.stream is False  # type: ignore[attr-defined]
    assert isinstance(native, LiteLLMModel) and native.stream is True
    auto.on_retry = print  # build_session wires retries through the wrapper to the backend
    assert auto.inner.on_retry is print  # type: ignore[attr-defined]
    script = tmp_path / "s.jsonl"
    script.write_text('{"content": "hi"}\n')
    assert type(make_model(Settings(model=f"scripted:{script}"))).__name__ == "ScriptedModel"
    with pytest.raises(UsageError, match="native, text or auto"):
        make_model(Settings(**base, tool_protocol="xml"))


def test_cli_rejects_bad_tool_protocol(demo_repo: Path, session_dir: Path) -> None:
    proc = run_pith(["run", "--tool-protocol", "xml", "-m", "openai/fake", "fix"], demo_repo, session_dir)
    assert proc.returncode == 2 and "--tool-protocol must be native, text or auto (got 'xml')" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_no_stream_sends_empty_content_and_reports_unknown_cost(demo_repo: Path, session_dir: Path) -> None:
    script = [{"content": None, "tool_calls": [{"function": {"name": "grep", "arguments": {"pattern": "def total"}}}]},
              {"content": "", "tool_calls": [{"function": {"name": "finish", "arguments": {"summary": "looked"}}}]}]
    with FakeOpenAIServer(script) as server:
        proc = pith_in_process(["run", "--no-stream", "--no-plan", "--tool-protocol", "native", "-m",
                                "openai/fake-local", "--api-base", server.base_url, "look"], demo_repo, session_dir)
    assert proc.returncode == 0, proc.stderr
    assert all(not r.get("stream") and "tools" in r for r in server.requests)
    assistant = [m for m in server.requests[1]["messages"] if m["role"] == "assistant"]
    assert assistant[0]["content"] == "" and assistant[0]["tool_calls"][0]["function"]["name"] == "grep"
    assert "cost unknown" in proc.stdout + proc.stderr


def test_run_auto_falls_back_and_tells_the_user(demo_repo: Path, session_dir: Path) -> None:
    script = [{"content": text_call("grep", pattern="def total")},
              {"content": text_call("finish", summary="found it")}]
    with FakeOpenAIServer(script, reject_tools=True) as server:
        proc = pith_in_process(["run", "--json", "--no-plan", "-m", "openai/fake-local", "--api-base", server.base_url,
                         "look"], demo_repo, session_dir)
    assert proc.returncode == 0, proc.stderr
    events = jsonl(proc.stdout)
    notices = [e["text"] for e in events if e["type"] == "notice"]
    assert any("text tool protocol" in n for n in notices)
    assert [e["name"] for e in events if e["type"] == "tool_call_finished"] == ["grep", "finish"]
    assert ["tools" in r for r in server.requests] == [True, False, False]
