"""`--tool-protocol auto`: native tool calls first, the text protocol for the rest of the session when needed."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.backends.base import DeltaCallback, Model, ModelError, ModelReply, ModelWrapper
from agent.backends.textproto import FORMAT_ERROR, TextProtocolModel, parse_calls, reply_from_text


def rejects_tools(err: ModelError) -> bool:
    """Whether a provider error means the server will not take native `tools`."""
    return err.kind == "tools_unsupported" or (err.kind == "bad_request" and "tool" in str(err).lower())


class AutoProtocolModel(ModelWrapper):
    """Starts native; switches to the text protocol when the server rejects `tools` or the model writes calls as text.

    It emits nothing itself: `switched_reason` says why it switched, and `on_notice` (when set; else the inner
    backend's `on_retry`, which build_session wires to a warning Notice) is called once with that reason.
    """

    def __init__(self, inner: Model, on_notice: Callable[[str], None] | None = None) -> None:
        super().__init__(inner)
        self.text = TextProtocolModel(inner)
        self.on_notice = on_notice
        self.switched_reason: str | None = None

    @property
    def protocol(self) -> str:
        """'native' or 'text': what the next request uses."""
        return "native" if self.switched_reason is None else "text"

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, on_delta: DeltaCallback | None = None
    ) -> ModelReply:
        """A native request while that works; the text protocol from the first sign that it does not."""
        if self.switched_reason is not None or not tools:
            return await (self.text if self.switched_reason else self.inner).complete(messages, tools, on_delta)
        try:
            reply = await self.inner.complete(messages, tools, on_delta)
        except ModelError as err:
            if not rejects_tools(err):
                raise
            self._switch(f"the server rejected native tool calls ({err}); using the text tool protocol from now on")
            return await self.text.complete(messages, tools, on_delta)
        if not reply.tool_calls and self._wrote_calls(reply.content, tools):
            self._switch("the model wrote its tool calls as text; using the text tool protocol from now on")
            return reply_from_text(reply)
        return reply

    @staticmethod
    def _wrote_calls(content: str, tools: list[dict[str, Any]]) -> bool:
        """A plain-text reply holding at least one well-formed call to a tool that exists."""
        if not content or ("tool" not in content and "name" not in content):
            return False
        names = {t.get("function", t).get("name") for t in tools}
        calls, _ = parse_calls(content)
        return any(c.name != FORMAT_ERROR and c.name in names for c in calls)

    def _switch(self, reason: str) -> None:
        """Remember the switch and tell whoever listens, once."""
        self.switched_reason = reason
        notify = self.on_notice or self.on_retry
        if notify:
            notify(reason)
