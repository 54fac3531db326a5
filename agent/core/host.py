"""What the core's parts (loop, executor, compaction, checkpoints, `!command`s) need from a session: a Protocol, so
they never import the Session that drives them."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent.core.approval import Policy
from agent.backends.base import Model
from agent.core.checkpoints import SessionCheckpoints
from agent.settings.config import Settings
from agent.context.manager import ContextManager
from agent.core.events import Event
from agent.core.ops import ResolveApproval
from agent.context.scratchpad import Scratchpad
from agent.core.state import SessionState, Totals
from tools.base import ApprovalKind, Tool, ToolContext

ModelFactory = Callable[[str], tuple[Model, Settings]]  # a model name -> (its model, the settings it runs with)


@dataclass
class ShellJobs:
    """The user's `!command`s: the one running, and outputs waiting for the next user message."""

    pending: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class SessionHost(Protocol):
    """A running session as its parts see it: read its state, emit events, ask for approval."""

    id: str
    settings: Settings
    model: Model
    root: Path
    tools: dict[str, Tool]
    context: ContextManager
    policy: Policy
    tool_ctx: ToolContext
    checkpoints: SessionCheckpoints
    shell: ShellJobs
    limit_hit: str  # the limit that stopped the turn ('' for none)

    @property
    def state(self) -> SessionState:
        """The folded state (read only)."""

    @property
    def history(self) -> list[dict[str, Any]]:
        """The conversation (read only)."""

    @property
    def pad(self) -> Scratchpad:
        """The scratchpad (read only)."""

    @property
    def totals(self) -> Totals:
        """Running counts (read only)."""

    def emit(self, event: Event) -> None:
        """Log the event, fold it into the state, hand it to the front end."""

    def summariser(self) -> Model:
        """The model that writes compaction summaries."""

    async def request_approval(self, tool: str, kind: ApprovalKind, summary: str, pattern: str, detail: str = "",
                               reason: str = "", always: bool = True) -> ResolveApproval:
        """Ask the front end and wait for its answer."""
