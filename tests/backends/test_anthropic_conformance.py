"""Full `pith run` sessions through litellm's real anthropic path against the fake Anthropic Messages API:
well-formed requests, cache breakpoints that move with the conversation, no placeholder text, honest cost."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from agent.fakes.anthropic import FakeAnthropicServer, prompt_blocks

MODEL = "anthropic/claude-sonnet-4-5"


def call(cid: str, name: str, **args: Any) -> dict[str, Any]:
    """A scripted tool call."""
    return {"id": cid, "name": name, "arguments": args}


def pith_run(repo: Path, base: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *extra: str) -> list[dict]:
    """`pith run --json` in-process; the JSONL lines it printed."""
    from agent.cli.app import app

    monkeypatch.chdir(repo)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake-key")
    monkeypatch.setenv("PITH_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PITH_RETRIES", "0")
    args = ["run", "--json", "--model", MODEL, "--api-base", base, "--no-plan", *extra, "fix the cart total"]
    result = CliRunner().invoke(app, args)
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def marks(body: dict[str, Any]) -> list[int]:
    """Positions (in prompt block order) of the blocks with cache_control."""
    return [i for i, b in enumerate(prompt_blocks(body)) if isinstance(b, dict) and b.get("cache_control")]


def test_session_requests_are_well_formed_cached_and_priced(demo_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    from agent.backends.litellm_backend import load_litellm

    steps = [{"content": "", "tool_calls": [call("toolu_a", "grep", pattern="def total"),
                                            call("toolu_b", "read_symbol", symbol="shop/cart.py:Cart.total")]},
             {"content": "", "tool_calls": [call("toolu_c", "read_lines", path="shop/pricing.py", start=1, end=30)]},
             {"content": "Found it.", "tool_calls": [call("toolu_d", "note", text="discount applied twice")]},
             {"content": "", "tool_calls": [call("toolu_e", "finish", summary="looked", verify="true")]}]
    with FakeAnthropicServer(steps) as fake:
        lines = pith_run(demo_repo, fake.base_url + "/v1", monkeypatch, tmp_path)
    result = lines[-1]
    assert result["type"] == "result" and result["status"] == "finished" and result["verified"] is True
    assert [s.error for s in fake.served] == [""] * 4  # every request valid: alternation, pairing, <= 4 marks
    assert any("add /v1/messages themselves" in e.get("text", "") for e in lines if e["type"] == "notice")
    for n, served in enumerate(fake.served):
        body = served.body
        text = json.dumps(body["messages"])
        assert "sanitised" not in text and '"text": ""' not in text  # no placeholder for tool-only turns
        where = marks(body)
        assert 2 <= len(where) <= 4
        blocks = prompt_blocks(body)
        assert blocks[where[0]]["type"] == "text" and where[0] == len(body["tools"])  # tools + system prompt
        last = blocks[where[-1]]
        # This request's end: the task at first, then the last tool result (the scratchpad tail stays unmarked).
        assert last["type"] == ("text" if n == 0 else "tool_result")
        assert all(b.get("type") != "tool_result" for b in blocks[where[-1] + 1:])
    reads = [s.usage["cache_read_input_tokens"] for s in fake.served]
    assert reads[0] == 0 and all(r > 0 for r in reads[1:]) and reads == sorted(reads)  # the cache holds and grows
    price = load_litellm().model_cost["claude-sonnet-4-5"]
    outputs = [e["output_tokens"] for e in lines if e["type"] == "assistant_message"]
    expected = sum(s.usage["input_tokens"] * price["input_cost_per_token"]
                   + s.usage["cache_creation_input_tokens"] * price["cache_creation_input_token_cost"]
                   + s.usage["cache_read_input_tokens"] * price["cache_read_input_token_cost"]
                   + out * price["output_cost_per_token"] for s, out in zip(fake.served, outputs))
    assert result["cost"] == pytest.approx(expected, rel=1e-9)
    assert result["cache_read_tokens"] == result["cached_tokens"] == sum(reads)
    assert result["cache_write_tokens"] == sum(s.usage["cache_creation_input_tokens"] for s in fake.served)
    assert result["input_tokens"] == sum(sum(s.usage.values()) for s in fake.served)


def test_summariser_calls_count_in_tokens_and_cost(demo_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    reads = [{"content": "", "tool_calls": [call(f"toolu_{i}", "read_lines", path="shop/cart.py", start=1,
                                                 end=60)]} for i in range(6)]
    steps = [*reads, {"content": "", "tool_calls": [call("toolu_z", "finish", summary="done")]}]
    with FakeAnthropicServer(steps) as fake:
        lines = pith_run(demo_repo, fake.base_url, monkeypatch, tmp_path, "--context-budget", "3400")
    result = lines[-1]
    usage = [e for e in lines if e["type"] == "model_usage"]
    summaries = [s for s in fake.served if not s.body.get("tools")]
    assert [s.error for s in fake.served] == [""] * len(fake.served)
    assert summaries and len(usage) == len(summaries) and usage[0]["purpose"] == "compaction"
    turns = [e for e in lines if e["type"] == "assistant_message"]
    assert result["input_tokens"] == sum(e["input_tokens"] for e in turns + usage)
    assert result["cost"] == pytest.approx(sum(e["cost"] for e in turns + usage))


def test_fake_server_refuses_what_anthropic_refuses(tmp_path: Path) -> None:
    good = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    mark = {"type": "ephemeral"}
    bad = {
        "x-api-key header": ({}, good),
        "roles must alternate": (None, {**good, "messages": [{"role": "user", "content": "a"},
                                                             {"role": "user", "content": "b"}]}),
        "without `tool_result`": (None, {**good, "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
            {"role": "user", "content": "b"}]}),
        "maximum of 4 blocks": (None, {**good, "messages": [{"role": "user", "content": [
            {"type": "text", "text": f"t{i}", "cache_control": mark} for i in range(5)]}]}),
        "must be non-empty": (None, {**good, "messages": [
            {"role": "user", "content": "a"}, {"role": "assistant", "content": [{"type": "text", "text": ""}]},
            {"role": "user", "content": "b"}]}),
    }
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    with FakeAnthropicServer([]) as fake:
        for why, (given, body) in bad.items():
            reply = httpx.post(fake.base_url + "/v1/messages", json=body, headers=headers if given is None else given)
            assert reply.status_code == 400 and why in reply.json()["error"]["message"], why
        assert httpx.post(fake.base_url + "/v1/v1/messages", json=good, headers=headers).status_code == 404


def test_openai_cached_input_is_priced_as_openai_prices_it(demo_repo: Path) -> None:
    import asyncio
    import io

    from agent.backends.litellm_backend import LiteLLMModel, load_litellm
    from agent.settings.config import Settings
    from agent.fakes.openai import FakeOpenAIServer
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    usage = {"prompt_tokens": 1500, "completion_tokens": 5, "total_tokens": 1505,
             "prompt_tokens_details": {"cached_tokens": 1200}}
    calls = [{"id": "c0", "type": "function", "function": {"name": "finish", "arguments": '{"summary": "ok"}'}}]
    with FakeOpenAIServer([{"content": "", "tool_calls": calls, "usage": usage}]) as fake:
        model = LiteLLMModel("openai/gpt-4o", api_base=fake.base_url, api_key="k", retries=0)
        session = build_session(Settings(model="openai/gpt-4o", approve="auto", plan=False), demo_repo, None, None,
                                "t", model=model)
        result = asyncio.run(run_headless(session, "t", json_mode=True, out=io.StringIO()))
    price = load_litellm().model_cost["gpt-4o"]
    expected = (300 * price["input_cost_per_token"] + 1200 * price["cache_read_input_token_cost"]
                + 5 * price["output_cost_per_token"])
    assert price["cache_read_input_token_cost"] == price["input_cost_per_token"] / 2
    assert result.cost == pytest.approx(expected) and result.cache_read_tokens == 1200
