"""/rewind and /commit for a session: list its checkpoints, rewind through undo, draft and make a commit."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tools.base import ToolError

if TYPE_CHECKING:
    from agent.session import Session

MAX_UNDOS = 500


@dataclass
class CheckpointRow:
    """One checkpoint of the session: what restoring it would change."""

    sha: str
    label: str
    when: float
    files: list[str] = field(default_factory=list)


def list_checkpoints(session: Session) -> list[CheckpointRow]:
    """The session's checkpoints, newest first, each with the files restoring it would change."""
    from agent.checkpoints import _checkpoints

    cps = _checkpoints(session)
    if cps.available() or cps._head_of_ref() is None:
        return []
    out = cps._git("log", "--format=%H%x00%ct%x00%s", cps.ref)
    current = cps._tree_of_worktree()
    rows = []
    for line in out.splitlines():
        sha, when, label = (line.split("\0") + ["", ""])[:3]
        files = [path for _, _, path in cps._changes(current, sha)]
        rows.append(CheckpointRow(sha=sha, label=label, when=float(when or 0), files=files))
    return rows


def _on_stack(cps: object, sha: str) -> bool:
    """Whether `sha` is still one of the session's checkpoints."""
    head = cps._head_of_ref()  # type: ignore[attr-defined]
    if head is None:
        return False
    return sha in cps._git("rev-list", head).split()  # type: ignore[attr-defined]


def rewind(session: Session, sha: str) -> str:
    """Undo checkpoint by checkpoint until `sha` is restored; the message says what changed or why not."""
    from agent.checkpoints import _checkpoints, undo

    cps = _checkpoints(session)
    if cps.available():
        return f"rewind: {cps.available()}"
    if not _on_stack(cps, sha):
        return f"rewind: {sha[:8]} is not one of this session's checkpoints (already undone?)"
    messages: list[str] = []
    for _ in range(MAX_UNDOS):
        head = cps._head_of_ref()
        if head is None or not _on_stack(cps, sha):
            break
        if cps._git("rev-parse", head + "^{tree}") == cps._tree_of_worktree():
            cps._pop(head)  # already the tree: undo would skip past it, and maybe past the target too
            continue
        messages.append(undo(session))
        if cps._head_of_ref() == head:  # undo could not pop it: stop rather than loop
            break
    restored = [line for m in messages for line in m.splitlines()[1:]]
    files = sorted(set(line.strip() for line in restored))
    head = (files and f", {len(files)} change(s):\n" + "\n".join(f"  {f}" for f in files)) or " (no file changed)"
    return f"rewind: the working tree is back at checkpoint {sha[:8]}{head}"


def draft_commit_message(session: Session, files: list[str]) -> str:
    """A commit message from the session: its finish summary (else its task and plan), then the files."""
    summary = (session.totals.summary or "").strip()
    steps = [s.get("step", "") for s in getattr(session.pad, "steps", []) if s.get("status") == "done"]
    task = ""
    for message in session.history:
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            task = message["content"].split("\n\n[pith attached", 1)[0].strip()
            break
    first = (summary or task or "").splitlines()[0] if (summary or task) else ""
    if not first:
        names = ", ".join(f.rsplit("/", 1)[-1] for f in files[:3]) + (" …" if len(files) > 3 else "")
        first = f"Update {names}"
    subject = first if len(first) <= 72 else textwrap.shorten(first, 72, placeholder="…")
    body: list[str] = []
    rest = (summary or task)[len(first):].strip() if (summary or task).startswith(first) else (summary or task)
    if rest:
        body += [textwrap.fill(p, 72) for p in rest.split("\n\n") if p.strip()]
    if steps:
        body.append("\n".join(f"- {s}" for s in steps))
    body.append("Files:\n" + "\n".join(f"- {f}" for f in files))
    return subject + "\n\n" + "\n\n".join(body) + "\n"


def changed_files(session: Session) -> list[str]:
    """The files this session changed (against its first checkpoint)."""
    from agent.checkpoints import _checkpoints

    cps = _checkpoints(session)
    if cps.available():
        return []
    return cps.changed_files()


def commit(session: Session, message: str) -> str:
    """Commit the session's changed files with the user's git identity; a one-line result or error."""
    from agent.checkpoints import _checkpoints

    if not message.strip():
        return "commit: not made: the message is empty"
    try:
        sha = _checkpoints(session).commit(message.strip() + "\n")
    except ToolError as exc:
        return f"commit: not made: {exc}"
    return f"committed {sha[:8]}: {message.strip().splitlines()[0]}"
