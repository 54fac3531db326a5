"""Workspace confinement: every file path a tool touches resolves inside the root."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from tools.base import ToolError


def resolve(root: Path, path: str, *, for_write: bool = False) -> Path:
    """Resolve `path` (relative to root, or absolute inside it); refuse escapes and `.git/` writes."""
    if not path or not path.strip():
        raise ToolError("empty path: give a path relative to the repository root")
    if "\x00" in path:
        raise ToolError("path contains a NUL byte")
    root_real = Path(os.path.realpath(root))
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root_real / candidate
    real = Path(os.path.realpath(candidate))
    if real != root_real and root_real not in real.parents:
        raise ToolError(
            f"{path}: outside the workspace {root_real} (after resolving '..' and symlinks); "
            "only files inside the repository can be used"
        )
    if for_write:
        parts = real.relative_to(root_real).parts
        if parts and parts[0] == ".git":
            raise ToolError(f"{path}: writing inside .git/ is not allowed")
    return real


def rel(root: Path, path: Path) -> str:
    """The path as shown to the model: relative to the root, with forward slashes."""
    root_real = Path(os.path.realpath(root))
    try:
        return path.relative_to(root_real).as_posix() or "."
    except ValueError:
        return path.as_posix()


def is_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB marks a file as binary (git's rule)."""
    return b"\x00" in data[:8192]


def _kind(mode: int) -> str:
    """A file type in words, for errors."""
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"))
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def check_regular(path: Path, shown: str) -> None:
    """Refuse FIFOs, devices and sockets before anything opens them (opening a FIFO blocks until a writer comes)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ToolError(f"{shown}: cannot read it: {exc.strerror}") from None
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise ToolError(f"{shown} is {_kind(mode)}, not a regular file: file tools only read and write regular files")


def read_regular(path: Path, shown: str, limit: int = -1) -> bytes:
    """A regular file's bytes (the first `limit` when given); a clear ToolError for anything else, and no open that
    could block."""
    check_regular(path, shown)
    try:  # O_NONBLOCK: if a FIFO replaced the file since the check, the open still returns at once
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise ToolError(f"{shown} is a directory") from None
    except OSError as exc:
        raise ToolError(f"{shown}: cannot read it: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ToolError(f"{shown} is {_kind(mode)}, not a regular file: file tools only read regular files")
        return handle.read(limit)
