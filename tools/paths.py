"""Workspace confinement: every file path a tool touches resolves inside the root."""
from __future__ import annotations

import os
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
