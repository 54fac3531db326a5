"""Ops: what front ends submit to a session (each answered by events)."""
from __future__ import annotations

from dataclasses import dataclass

from agent.core.events import Decision, TurnStatus


@dataclass
class Op:
    """Base op."""


@dataclass
class SubmitTurn(Op):
    text: str


@dataclass
class ResolveApproval(Op):
    request_id: str
    decision: Decision
    reason: str = ""


@dataclass
class Interrupt(Op):
    pass


@dataclass
class Compact(Op):
    focus: str = ""


@dataclass
class Undo(Op):
    pass


@dataclass
class Shutdown(Op):
    """End the session; `status` overrides the final status when the front end knows better (a signal arrived)."""

    status: TurnStatus | None = None


@dataclass
class RunShell(Op):
    """The user's own `!command`: run now (no approval dialog), output joins the next user message."""

    command: str


@dataclass
class Rewind(Op):
    """Restore the working tree to one of the session's checkpoints (by sha)."""

    sha: str


@dataclass
class SwitchModel(Op):
    """Talk to another model from the next request on; answered by ModelSwitched, or a Notice(level="error")."""

    model: str


@dataclass
class ShowDiff(Op):
    """Show the session's changes so far; answered by DiffShown."""


@dataclass
class ListCheckpoints(Op):
    """List the session's checkpoints; answered by CheckpointsListed."""


@dataclass
class DraftCommit(Op):
    """Draft a commit of the session's files; answered by CommitDrafted (no files: nothing to commit)."""


@dataclass
class Commit(Op):
    """Commit the session's files with `message` ('' : the drafted one); answered by CommitMade."""

    message: str = ""
