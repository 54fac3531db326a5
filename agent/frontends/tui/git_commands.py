"""/commit and /rewind: the session's changes as a commit, or back to one of its checkpoints."""
from __future__ import annotations

from typing import TYPE_CHECKING

from agent.core.events import CheckpointsListed, CommitDrafted
from agent.core.ops import Commit, DraftCommit, ListCheckpoints, Rewind

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
    if _ready(app, "/commit"):
        app.submit_op(DraftCommit())  # answered by CommitDrafted, which opens the editor (see `open_answer`)


async def cmd_rewind(app: Host, _: str) -> None:
    """Pick one of the session's checkpoints and restore it."""
    if _ready(app, "/rewind"):
        app.submit_op(ListCheckpoints())  # answered by CheckpointsListed, which opens the picker


def open_answer(app: Host, answer: CheckpointsListed | CommitDrafted) -> None:
    """The dialog an answer asks for: the checkpoint picker, or the commit message editor."""
    if isinstance(answer, CheckpointsListed):
        from agent.frontends.tui.screens.rewind import RewindScreen

        def chosen(sha: str | None) -> None:
            """Ask the core to rewind to the chosen checkpoint."""
            if sha is not None:
                app.view.notice(f"rewinding to checkpoint {sha[:8]}…", "dim")  # type: ignore[union-attr]
                app.submit_op(Rewind(sha))

        app.push_screen(RewindScreen(answer.rows, frozen=app.frozen), chosen)
        return
    from agent.frontends.tui.screens.commit import CommitScreen

    def confirmed(message: str | None) -> None:
        """Commit with the edited message (answered by CommitMade), or say it was cancelled."""
        if message is None:
            app.view.notice("/commit cancelled", "dim")  # type: ignore[union-attr]
        else:
            app.submit_op(Commit(message))

    app.push_screen(CommitScreen(answer.message, answer.files), confirmed)
