"""Rewind and commit for a session: list its checkpoints, rewind through undo, draft and make a commit."""
from __future__ import annotations

import re
import textwrap

from agent.core.events import CheckpointRow, TurnStatus
from agent.core.host import SessionHost
from tools.base import ToolError

MAX_UNDOS = 500


def _files_of(cps: object, sha: str, current: str) -> list[str]:
    """What a checkpoint covers: the files pith wrote after it (its record), else what restoring it would change."""
    manifest = getattr(cps, "_manifest", None)
    if manifest is not None:
        return sorted(manifest(sha).files)
    return [path for _, _, path in cps._changes(current, sha)]  # type: ignore[attr-defined]


def list_checkpoints(session: SessionHost) -> list[CheckpointRow]:
    """The session's checkpoints, newest first, each with its files."""
    cps = session.checkpoints.cps
    if cps.available() or cps._head_of_ref() is None:
        return []
    out = cps._git("log", "--first-parent", "--format=%H%x00%ct%x00%s", cps.ref)
    current = "" if hasattr(cps, "_manifest") else cps._tree_of_worktree()
    rows = []
    for line in out.splitlines():
        sha, when, label = (line.split("\0") + ["", ""])[:3]
        rows.append(CheckpointRow(sha=sha, label=label, when=float(when or 0), files=_files_of(cps, sha, current)))
    return rows


def _chain(cps: object) -> list[str]:
    """Checkpoint commits, newest first."""
    head = cps._head_of_ref()  # type: ignore[attr-defined]
    return cps._git("rev-list", "--first-parent", head).split() if head else []  # type: ignore[attr-defined]


def _has_record(cps: object, sha: str) -> bool:
    """Whether undo would restore anything for this checkpoint (always assumed without records)."""
    manifest = getattr(cps, "_manifest", None)
    return bool(manifest(sha).files) if manifest is not None else True


def rewind(session: SessionHost, sha: str) -> str:
    """Undo checkpoint by checkpoint until `sha` is restored and gone; the message says what changed or why not."""
    cps = session.checkpoints.cps
    if cps.available():
        return f"rewind: {cps.available()}"
    chain = _chain(cps)
    if sha not in chain:
        return f"rewind: {sha[:8]} is not one of this session's checkpoints (already undone?)"
    messages: list[str] = []
    for _ in range(MAX_UNDOS):
        chain = _chain(cps)
        if sha not in chain:
            break
        if not any(_has_record(cps, c) for c in chain[: chain.index(sha) + 1]):
            cps._pop(sha)  # nothing left to restore down to it: undo would reach past it
            break
        message = session.checkpoints.undo()
        messages.append(message)
        if _chain(cps) == chain:  # undo refused (files changed by someone else): stop and say why
            return f"rewind stopped: {message}"
    changed = sorted({line.strip() for m in messages for line in m.splitlines()[1:] if line.startswith("  ")})
    listing = f", {len(changed)} change(s):\n" + "\n".join(f"  {c}" for c in changed) if changed else \
        " (no file needed restoring)"
    return f"rewind: back at checkpoint {sha[:8]}{listing}"


def _task(session: SessionHost) -> str:
    """The session's first user message as typed (without what pith attached to it)."""
    for message in session.history:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            text = re.split(r"\n\n\[(?:pith attached|the user ran)", content, maxsplit=1)[0].strip()
            if text:
                return text
    return ""


def draft_commit_message(session: SessionHost, files: list[str]) -> str:
    """A commit message from the session: its finish summary (else its task and last reply), plan, then files."""
    summary = (session.state.summary or "").strip()
    finished = session.state.last_status == TurnStatus.FINISHED and bool(summary)
    lead = summary if finished else _task(session)
    first = lead.splitlines()[0].strip() if lead else ""
    if not first:
        names = ", ".join(f.rsplit("/", 1)[-1] for f in files[:3]) + (" …" if len(files) > 3 else "")
        first = f"Update {names}"
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0].rstrip(".")
    subject = sentence if len(sentence) <= 72 else textwrap.shorten(sentence, 72, placeholder="…")
    rest = "\n".join(lead.splitlines()[1:]).strip()
    if subject != first:  # the subject is cut: the whole first line goes into the body
        rest = (first + "\n\n" + rest).strip()
    if not finished and summary:  # the model's last reply says what it did
        rest = (rest + "\n\n" + textwrap.shorten(summary, 600, placeholder=" …")).strip()
    body = [textwrap.fill(p, 72) for p in rest.split("\n\n") if p.strip()]
    steps = [s.get("step", "") for s in getattr(session.pad, "steps", []) if s.get("status") == "done"]
    if steps:
        body.append("\n".join(f"- {s}" for s in steps))
    body.append("Files:\n" + "\n".join(f"- {f}" for f in files))
    return subject + "\n\n" + "\n\n".join(body) + "\n"


def changed_files(session: SessionHost) -> list[str]:
    """The files this session changed (against its first checkpoint)."""
    cps = session.checkpoints.cps
    if cps.available():
        return []
    return cps.changed_files()


def commit(session: SessionHost, message: str) -> str:
    """Commit the session's changed files with the user's git identity; a one-line result or error."""
    return make_commit(session, message)[1]


def make_commit(session: SessionHost, message: str) -> tuple[str, str]:
    """(the commit's sha, '' when none was made; the one-line result or error)."""
    if not message.strip():
        return "", "commit: not made: the message is empty"
    cps = session.checkpoints.cps
    try:
        sha = cps.commit(message.strip() + "\n")  # only the files the session wrote and still own
    except ToolError as exc:
        return "", f"commit: not made: {exc}"
    skipped = getattr(cps, "skipped", [])
    note = ("\nleft out: " + "; ".join(skipped)) if skipped else ""
    return sha, f"committed {sha[:8]}: {message.strip().splitlines()[0]}{note}"


def draft(session: SessionHost) -> tuple[str, list[str]]:
    """(a drafted commit message, the files it would take); ('', []) when the session changed nothing."""
    files = changed_files(session)
    return (draft_commit_message(session, files) if files else ""), files
