"""Finding and summarising session logs."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from agent.log.writer import LogError


@dataclass
class SessionInfo:
    """One row of `pith sessions`."""

    id: str
    path: Path
    created: str
    root: str
    task: str
    model: str
    status: str
    cost: float | None


def summarise(path: Path) -> SessionInfo | None:
    """Header and final result of a log, read cheaply; None if it is not a pith log."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            header = json.loads(handle.readline())
            status, cost, first = "running or cut off", None, ""
            for line in handle:
                if not first and '"user_message"' in line:  # a task typed in the TUI is its first message
                    first = _first_text(line)
                elif '"session_finished"' in line:
                    try:
                        done = json.loads(line)
                        status, cost = done.get("status", status), done.get("cost")
                    except json.JSONDecodeError:
                        pass
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if "pith_log" not in header:
        return None
    return SessionInfo(
        id=header.get("session_id", path.stem), path=path, created=header.get("created", ""), root=header.get("root", ""),
        task=_short(header.get("task") or first),
        model=header.get("model", ""), status=status, cost=cost,
    )


def _first_text(line: str) -> str:
    """The text of a logged user_message line ('' if it is not one)."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return ""
    return str(event.get("text") or "") if event.get("type") == "user_message" else ""


def _short(task: str, width: int = 60) -> str:
    """The task's first line, cut at a word boundary."""
    line = task.strip().splitlines()[0] if task.strip() else ""
    if len(line) <= width:
        return line
    return line[:width].rsplit(" ", 1)[0] + " …"


def list_sessions(directory: Path, repo: str | None = None) -> list[SessionInfo]:
    """All sessions in a folder, newest first, optionally only for one repository."""
    if not directory.is_dir():
        return []
    rows = [s for s in (summarise(p) for p in directory.glob("*.jsonl")) if s]
    if repo:
        wanted = str(Path(repo).resolve())
        rows = [s for s in rows if s.root == wanted]
    return sorted(rows, key=lambda s: s.id, reverse=True)


def find_session(ref: str, directory: Path) -> Path:
    """A log path from a path or an id (a unique prefix works)."""
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return candidate
    if not directory.is_dir():
        raise LogError(f"no session {ref!r}: {directory} does not exist")
    matches = sorted(directory.glob(f"{ref}*.jsonl"))
    if not matches:
        raise LogError(f"no session {ref!r} in {directory} (see `pith sessions`)")
    if len(matches) > 1:
        names = ", ".join(m.stem for m in matches[:5])
        raise LogError(f"{ref!r} matches several sessions: {names}")
    return matches[0]
