"""Keeping the view within budget: eviction first, compaction second (deepened by the context issue)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.session import Session


async def maintain(session: Session) -> None:
    """Before each model call: bring the view under budget."""
    return None


async def compact_now(session: Session, focus: str, reason: str) -> str:
    """Summarise older turns on request; returns a line for the model."""
    return "compaction is not available yet; continue"
