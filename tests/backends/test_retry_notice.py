"""The retry notice names the provider's failure: `server error 503 from the provider; retry 1/4 in 1.1s`."""
from __future__ import annotations

from agent.backends.base import ModelError
from agent.backends.litellm_backend import LiteLLMModel, retry_reason
from agent.fakes.openai import FakeOpenAIServer


async def test_5xx_retry_notice_is_readable() -> None:
    script = [{"status": 503, "error": "busy"}, {"status": 500, "error": "overloaded"}, {"content": "ok"}]
    notices: list[str] = []
    with FakeOpenAIServer(script) as server:
        model = LiteLLMModel("openai/fake", api_base=server.base_url, api_key="sk-fake", backoff_base=0.01,
                             on_retry=notices.append, stream=False)
        reply = await model.complete([{"role": "user", "content": "hi"}], None)
    assert reply.content == "ok"
    assert notices[0].startswith("server error 503 from the provider; retry 1/4 in ")
    assert notices[1].startswith("server error 500 from the provider; retry 2/4 in ")


def test_retry_reason_for_each_kind() -> None:
    err = ModelError("x", kind="rate_limit")
    err.status = 429  # type: ignore[attr-defined]
    assert retry_reason(err) == "rate limited by the provider 429"
    assert retry_reason(ModelError("x", kind="server")) == "server error from the provider"
    assert retry_reason(ModelError("x", kind="connection")) == "cannot reach the provider"
    assert retry_reason(ModelError("x", kind="timeout")) == "the provider timed out"
