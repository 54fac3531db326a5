"""Custom slash commands from `.pith/commands/*.md` (Claude Code's convention): the body is a prompt template."""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
MAX_BYTES = 64_000


@dataclass(frozen=True)
class CustomCommand:
    """One command: `/name args` becomes a user message built from `body`."""

    name: str
    body: str
    help: str
    source: str  # "project" | "user"

    def expand(self, arguments: str) -> str:
        """The prompt: `$ARGUMENTS` replaced by what followed the name (appended when the body has no slot)."""
        arguments = arguments.strip()
        if "$ARGUMENTS" in self.body:
            return self.body.replace("$ARGUMENTS", arguments).strip()
        return (self.body.rstrip() + ("\n\n" + arguments if arguments else "")).strip()


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(simple `key: value` front matter, body); the front matter is only read for a description."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    meta = {}
    for line in text[4:end].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[end + 4:].lstrip("\n")


def _read_capped(path: Path, inside: Path | None) -> bytes | None:
    """The head of a regular file (within `inside` when given: a repository's symlink to a key file or to
    /proc/self/environ is not read); None for anything else, and never a blocking open (FIFO) or endless read."""
    try:
        real = path.resolve()
        if inside is not None and real != inside and inside not in real.parents:
            return None
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_BYTES) if stat.S_ISREG(os.fstat(fd).st_mode) else None


def _one(path: Path, source: str, inside: Path | None = None) -> CustomCommand | None:
    """The command in one file, or None when its name or content is unusable."""
    name = path.stem.lower()
    if not NAME.match(name):
        return None
    data = _read_capped(path, inside)
    if data is None:
        return None
    raw = data.decode("utf-8", "replace")
    meta, body = _split_front_matter(raw.replace("\r\n", "\n"))
    if not body.strip():
        return None
    first = next((ln.strip().lstrip("# ") for ln in body.splitlines() if ln.strip()), "")
    help_text = (meta.get("description") or first)[:80]
    return CustomCommand(name=name, body=body, help=help_text, source=source)


def user_commands_dir() -> Path:
    """The user's own commands folder (next to the user config)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("pith", appauthor=False)) / "commands"


def load_commands(root: Path, user_dir: Path | None = None, reserved: tuple[str, ...] = ()) -> dict[str, CustomCommand]:
    """Commands by name: the project's override the user's; names in `reserved` (built-ins) are never replaced."""
    found: dict[str, CustomCommand] = {}
    for folder, source in ((user_dir, "user"), (Path(root) / ".pith" / "commands", "project")):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            command = _one(path, source, Path(root).resolve() if source == "project" else None)
            if command is not None and command.name not in reserved:
                found[command.name] = command
    return found
