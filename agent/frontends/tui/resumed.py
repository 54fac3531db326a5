"""A resumed session in the TUI: what the user typed before comes back to the Up-arrow history."""
from __future__ import annotations

from agent.frontends.tui.widgets.composer import Composer


def remember(composer: Composer, texts: list[str]) -> None:
    """Put earlier messages at the newest end of the composer's history (each once)."""
    for text in texts:
        if text in composer.sent:
            composer.sent.remove(text)
        composer.sent.append(text)
