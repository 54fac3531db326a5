"""What a checkpoint records besides its tree: the files the session wrote (with their hashes), and a repo lock."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.base import ToolError

FILES = "pith-files: "
STALE = "pith-stale: "
IGNORED = "pith-ignored: "
MAX_IGNORED = 300
LOCK_WAIT = 15.0


@dataclass
class Manifest:
    """One checkpoint's record: its label, files written after it (path -> sha256 after the write, None = deleted)."""

    label: str
    files: dict[str, str | None] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # changed by someone else between the snapshot and pith's write
    ignored: list[str] = field(default_factory=list)  # ignored paths that existed (never part of the snapshot)

    def message(self) -> str:
        """The commit message that stores this record."""
        lines = [self.label or "checkpoint", "", FILES + json.dumps(self.files, ensure_ascii=False, sort_keys=True)]
        if self.stale:
            lines.append(STALE + json.dumps(sorted(set(self.stale)), ensure_ascii=False))
        if self.ignored:
            lines.append(IGNORED + json.dumps(self.ignored[:MAX_IGNORED], ensure_ascii=False))
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, message: str) -> Manifest:
        """Read a record back (commits from older pith versions have none: an empty record)."""
        lines = message.splitlines()
        found = cls(label=lines[0] if lines else "")
        for line in lines[1:]:
            for prefix, attr in ((FILES, "files"), (STALE, "stale"), (IGNORED, "ignored")):
                if line.startswith(prefix):
                    try:
                        setattr(found, attr, json.loads(line[len(prefix):]))
                    except json.JSONDecodeError:
                        pass
        return found


def file_sha256(path: Path) -> str | None:
    """sha256 of a file's bytes (a symlink's target text), None when it does not exist or is not a file."""
    try:
        if path.is_symlink():
            return hashlib.sha256(os.readlink(path).encode()).hexdigest()
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@contextlib.contextmanager
def repo_lock(git_dir: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """An exclusive lock on pith's checkpoint refs in this repo (sessions, `pith undo` and --commit take turns)."""
    import fcntl

    path = Path(git_dir) / "pith-checkpoints.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ToolError(f"cannot open the checkpoint lock {path}: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ToolError(f"another pith holds {path} (for over {wait:.0f}s); try again when it is done") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def git_blob_id(path: Path) -> str | None:
    """The git (sha1) blob id a file or symlink would get, None when absent or not a file."""
    try:
        if path.is_symlink():
            data = os.readlink(path).encode()
        elif path.is_file():
            data = path.read_bytes()
        else:
            return None
    except OSError:
        return None
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _identity_env(repo: Any) -> dict[str, str]:
    """The user's git identity when configured; pith's only where none is."""
    env: dict[str, str] = {}
    for key, var, fallback in (("user.name", "NAME", "pith"), ("user.email", "EMAIL", "pith@localhost")):
        try:
            repo.git.config("--get", key)
        except Exception:
            env[f"GIT_AUTHOR_{var}"] = env[f"GIT_COMMITTER_{var}"] = fallback
    return env


def commit_paths(repo: Any, paths: list[str], message: str) -> str:
    """Stage and commit exactly `paths` (top-relative) on the current branch; the rest of the index stays."""
    env = _identity_env(repo)
    try:
        for chunk in range(0, len(paths), 200):
            repo.git.execute(["git", "add", "-A", "--", *paths[chunk:chunk + 200]], env=env)
        repo.git.execute(["git", "commit", "-q", "--only", "-m", message, "--", *paths], env=env)
    except Exception as exc:
        detail = (getattr(exc, "stderr", "") or str(exc)).strip()
        raise ToolError(f"git commit failed: {detail[-800:]}") from None
    return repo.git.execute(["git", "rev-parse", "HEAD"])
