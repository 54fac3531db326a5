"""Files that configure pith itself: writing one asks a person, whatever the approval mode.

A model that can rewrite `.pith.toml` or AGENTS.md can change what pith allows or tells the next model."""
from __future__ import annotations

from pathlib import PurePosixPath

from tools.base import Approval

PROTECTED_NAMES = {".pith.toml", "AGENTS.md", "CLAUDE.md"}
PROTECTED_AT_ROOT = {"pyproject.toml"}  # holds [tool.pith]


def protected_path(path: str) -> bool:
    """Whether a repository-relative path is one of pith's own config or instruction files."""
    clean = path.replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    parts = PurePosixPath(clean).parts
    if not parts:
        return False
    return parts[-1] in PROTECTED_NAMES or ".pith" in parts[:-1] or parts[-1] == ".pith" or (
        len(parts) == 1 and parts[0] in PROTECTED_AT_ROOT)


def config_write(approval: Approval) -> str:
    """Why a file write must be asked about ('' when it need not)."""
    if approval.kind not in ("write", "overwrite") or not protected_path(approval.pattern):
        return ""
    return f"{approval.pattern} configures pith (settings or instructions for the model); a person must approve it"
