"""Session-level glue to the git safety net in tools/checkpoint.py."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from agent.core.events import CheckpointCreated, Event, Notice
from tools.base import ToolError
from tools.checkpoint import Checkpoints


class SessionCheckpoints:
    """A session's checkpoints: the repository is opened on first use; a repo without git gets one notice."""

    def __init__(self, root: Path, session_id: str) -> None:
        self.root = root
        self.session_id = session_id
        self._cps: Checkpoints | None = None
        self._warned = False

    @property
    def cps(self) -> Checkpoints:
        """The Checkpoints object (opened on first use)."""
        if self._cps is None:
            self._cps = Checkpoints(self.root, self.session_id)
        return self._cps

    def snapshot(self, label: str, emit: Callable[[Event], None]) -> None:
        """Checkpoint the tree; a repo without git just gets a notice once."""
        try:
            reason = self.cps.available()
            if reason:
                if not self._warned:
                    self._warned = True
                    emit(Notice(text=f"no undo checkpoints: {reason}", level="warning"))
                return
            sha = self.cps.snapshot(label)
        except Exception as exc:  # a checkpoint failure must not block an edit
            emit(Notice(text=f"checkpoint failed: {exc}", level="warning"))
            return
        if sha:
            emit(CheckpointCreated(sha=sha, label=label))

    def record_edits(self, edits: list[dict], emit: Callable[[Event], None]) -> None:  # type: ignore[type-arg]
        """Note the files a tool just wrote, so undo and --commit touch only those (and only while unchanged)."""
        try:
            if self.cps.available() is None:
                self.cps.record(edits)
        except Exception as exc:  # the edit is done; a missing record only narrows what undo can restore
            emit(Notice(text=f"checkpoint record failed (undo will not restore this edit): {exc}", level="warning"))

    def undo(self) -> str:
        """Restore the previous checkpoint; the message says what happened or why not."""
        try:
            return self.cps.undo()
        except ToolError as exc:
            return str(exc)

    def diff(self) -> str:
        """The session's changes so far."""
        try:
            return self.cps.diff()
        except Exception as exc:
            return f"(no diff: {exc})"


class _HasCheckpoints(Protocol):
    """Anything with a session's checkpoints."""

    checkpoints: SessionCheckpoints


def session_diff(session: _HasCheckpoints) -> str:
    """The session's changes so far (front ends: submit ShowDiff instead)."""
    return session.checkpoints.diff()
