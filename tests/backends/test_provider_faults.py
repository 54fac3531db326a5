"""Provider faults through litellm's real HTTP path: stalled streams, 200s that are not API responses, bad Unicode."""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from agent.backends.base import ModelError
from agent.backends.litellm_backend import LiteLLMModel
from agent.settings.config import Settings
from agent.core.events import ErrorOccurred, ToolCallFinished
from agent.fakes.openai import FakeOpenAIServer
from agent.frontends.headless import exit_code, run_headless
from agent.log.writer import read_log
from agent.compose import build_session
from tests.conftest import make_repo

ASK = [{"role": "user", "content": "hi"}]


def tree_hash(root: Path) -> str:
    """Names and bytes of every file outside .git."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".git" not in p.relative_to(root).parts:
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def model(server: FakeOpenAIServer, **kw: Any) -> LiteLLMModel:
    """The real litellm backend against the fake server, fast retries."""
    opts: dict[str, Any] = {"retries": 0, "backoff_base": 0.01, **kw}
    return LiteLLMModel("openai/fake", api_base=server.base_url, api_key="no-key", **opts)


def headless(repo: Path, server: FakeOpenAIServer, tmp_path: Path, **kw: Any) -> tuple[int, str, Any]:
    """A whole headless run (JSON mode) on the fake server: (exit code, stdout, session)."""
    settings = Settings(model="openai/fake", approve="auto", plan=False)
    session = build_session(settings, repo, None, tmp_path / "sessions", "task", model=model(server, **kw))
    out = io.StringIO()
    result = asyncio.run(run_headless(session, "do it", json_mode=True, out=out))
    return exit_code(result.status), out.getvalue(), session


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small committed repo."""
    return make_repo(tmp_path / "repo", {"a.py": "a = 1\n"})


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("fault,first_line", [
    ("html", "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"),
    ("garbage", "garbage{not json at all"),
])
def test_unparseable_200_is_a_provider_error_with_the_first_line(repo: Path, tmp_path: Path, fault: str,
                                                                 first_line: str, stream: bool) -> None:
    before = tree_hash(repo)
    with FakeOpenAIServer([{"fault": fault}]) as server:
        code, stdout, session = headless(repo, server, tmp_path, stream=stream)
    assert code == 4
    errors = [e for e in read_log(session.log.path).events if isinstance(e, ErrorOccurred)]
    assert len(errors) == 1 and errors[0].kind == "bad_response" and first_line in errors[0].message
    assert json.loads(stdout.splitlines()[-1])["status"] == "model_error"
    assert tree_hash(repo) == before


@pytest.mark.parametrize("empty_chunks", [False, True])
async def test_keep_alive_forever_is_retried_then_reported(empty_chunks: bool) -> None:
    steps = [{"fault": "keepalive", "seconds": 20, "empty": empty_chunks} for _ in range(2)]
    with FakeOpenAIServer(steps) as server:
        start = time.monotonic()
        with pytest.raises(ModelError, match=r"sent no content for 1s") as caught:
            await model(server, retries=1, idle_timeout=1.0).complete(ASK, None)
        took = time.monotonic() - start
        assert len(server.requests) == 2  # retried once, then reported
    assert caught.value.kind == "timeout" and took < 10


def test_idle_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.backends.robust import idle_timeout

    monkeypatch.delenv("PITH_STREAM_IDLE_TIMEOUT", raising=False)
    assert idle_timeout() == 120.0
    monkeypatch.setenv("PITH_STREAM_IDLE_TIMEOUT", "7.5")
    assert idle_timeout() == 7.5 and LiteLLMModel("openai/x").idle_timeout == 7.5
    monkeypatch.setenv("PITH_STREAM_IDLE_TIMEOUT", "0")
    assert idle_timeout() == float("inf")


async def test_slow_but_steady_stream_is_not_cut() -> None:
    with FakeOpenAIServer([{"content": "x" * 200}]) as server:
        reply = await model(server, idle_timeout=5.0).complete(ASK, None)
    assert reply.content == "x" * 200


@pytest.mark.parametrize("stream", [True, False])
def test_lone_surrogate_in_arguments_is_an_error_result(repo: Path, tmp_path: Path, stream: bool) -> None:
    before = tree_hash(repo)
    steps = [{"content": "", "tool_calls": [{"id": "c1", "function": {
                 "name": "write_file", "arguments": {"path": "b.py", "content": "x = '\ud800'\n"}}}]},
             {"content": "", "tool_calls": [{"id": "c2", "function": {
                 "name": "finish", "arguments": {"summary": "could not write"}}}]}]
    with FakeOpenAIServer(steps) as server:
        code, stdout, session = headless(repo, server, tmp_path, stream=stream)
        second = server.requests[1]["messages"]
    results = [e for e in read_log(session.log.path).events if isinstance(e, ToolCallFinished)]
    assert results[0].is_error and "invalid Unicode (a lone surrogate, \\ud800)" in results[0].text
    assert any("invalid Unicode" in str(m.get("content")) for m in second)  # the model was told
    assert [json.loads(line)["type"] for line in stdout.splitlines()][-1] == "session_finished"  # all valid
    assert read_log(session.log.path).note == ""  # the log is whole, not cut
    assert code == 0 and tree_hash(repo) == before and not (repo / "b.py").exists()


def test_log_keeps_a_line_with_a_lone_surrogate(tmp_path: Path) -> None:
    from agent.core.events import Notice
    from agent.log.writer import SessionLog

    log = SessionLog.create(tmp_path, "s1", {"model": "m"})
    log.write(Notice(text="bad \ud800 text"))
    log.write(Notice(text="after"))
    log.close()
    loaded = read_log(log.path)
    assert [e.text for e in loaded.events] == ["bad \ud800 text", "after"] and loaded.note == ""
    log.path.read_text(encoding="utf-8")  # the file itself is valid UTF-8
