"""Session-level glue to the git safety net in tools/checkpoint.py."""
from __future__ import annotations

from typing import TYPE_CHECKING

from agent.core.events import CheckpointCreated, Notice

if TYPE_CHECKING:
    from agent.core.session import Session


def _checkpoints(session: Session):  # type: ignore[no-untyped-def]
    """The session's Checkpoints object (created on first use)."""
    from tools.checkpoint import Checkpoints

    cps = getattr(session, "_checkpoints", None)
    if cps is None:
        cps = Checkpoints(session.root, session.id)
        session._checkpoints = cps  # type: ignore[attr-defined]
    return cps


def snapshot(session: Session, label: str) -> None:
    """Checkpoint the tree; a repo without git just gets a notice once."""
    try:
        cps = _checkpoints(session)
        reason = cps.available()
        if reason:
            if not getattr(session, "_checkpoint_warned", False):
                session._checkpoint_warned = True  # type: ignore[attr-defined]
                session.emit(Notice(text=f"no undo checkpoints: {reason}", level="warning"))
            return
        sha = cps.snapshot(label)
    except Exception as exc:  # a checkpoint failure must not block an edit
        session.emit(Notice(text=f"checkpoint failed: {exc}", level="warning"))
        return
    if sha:
        session.emit(CheckpointCreated(sha=sha, label=label))


def record_edits(session: Session, edits: list[dict]) -> None:  # type: ignore[type-arg]
    """Note the files a tool just wrote, so undo and --commit touch only those (and only while unchanged)."""
    try:
        cps = _checkpoints(session)
        if cps.available() is None:
            cps.record(edits)
    except Exception as exc:  # the edit is done; a missing record only narrows what undo can restore
        session.emit(Notice(text=f"checkpoint record failed (undo will not restore this edit): {exc}", level="warning"))


def undo(session: Session) -> str:
    """Restore the previous checkpoint; the message says what happened or why not."""
    from tools.base import ToolError

    try:
        return _checkpoints(session).undo()
    except ToolError as exc:
        return str(exc)


def session_diff(session: Session) -> str:
    """The session's changes so far."""
    try:
        return _checkpoints(session).diff()
    except Exception as exc:
        return f"(no diff: {exc})"
