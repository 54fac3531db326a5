"""/commit and /rewind: the session's changes as a commit, or back to one of its checkpoints."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from agent.core.events import Rewind

if TYPE_CHECKING:
    from agent.frontends.tui.host import Host


def _ready(app: Host, what: str) -> bool:
    """A session exists and no turn is running; otherwise says why not."""
    assert app.view is not None
    if app.session is None:
        app.view.notice("no session yet", "warning")
        return False
    if app.busy:
        app.view.notice(f"wait for the turn to end (or Ctrl+C) before {what}", "warning")
        return False
    return True


async def cmd_commit(app: Host, _: str) -> None:
    """Commit this session's files; you edit the message first."""
    if not _ready(app, "/commit"):
        return
    from agent.frontends.tui.screens.commit import CommitScreen
    from agent.core.session_git import changed_files, commit, draft_commit_message

    session = app.session
    view = app.view
    assert view is not None
    files = await asyncio.to_thread(changed_files, session)  # type: ignore[arg-type]
    if not files:
        view.notice("/commit: nothing to commit: the session changed no files (or they were undone)", "warning")
        return

    async def confirmed(message: str | None) -> None:
        """Commit with the edited message, or say it was cancelled."""
        if message is None:
            view.notice("/commit cancelled", "dim")
            return
        result = await asyncio.to_thread(commit, session, message)  # type: ignore[arg-type]
        view.notice(result, "warning" if result.startswith("commit: not made") else "info")

    app.push_screen(CommitScreen(draft_commit_message(session, files), files), confirmed)  # type: ignore[arg-type]


async def cmd_rewind(app: Host, _: str) -> None:
    """Pick one of the session's checkpoints and restore it."""
    if not _ready(app, "/rewind"):
        return
    from agent.frontends.tui.screens.rewind import RewindScreen
    from agent.core.session_git import list_checkpoints

    rows = await asyncio.to_thread(list_checkpoints, app.session)  # type: ignore[arg-type]
    if not rows:
        app.view.notice("/rewind: this session has no checkpoints (pith takes one before its first change of each "
                        "turn)", "warning")  # type: ignore[union-attr]
        return

    def chosen(sha: str | None) -> None:
        """Ask the core to rewind to the chosen checkpoint."""
        if sha is not None:
            app.view.notice(f"rewinding to checkpoint {sha[:8]}…", "dim")  # type: ignore[union-attr]
            app.submit_op(Rewind(sha))

    app.push_screen(RewindScreen(rows, frozen=app.frozen), chosen)
