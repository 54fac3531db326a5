"""Custom slash commands from `.pith/commands/*.md` (Claude Code's convention): the body is a prompt template."""
from __future__ import annotations

import re
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


def _one(path: Path, source: str) -> CustomCommand | None:
    """The command in one file, or None when its name or content is unusable."""
    name = path.stem.lower()
    if not NAME.match(name):
        return None
    try:
        raw = path.read_bytes()[:MAX_BYTES].decode("utf-8", "replace")
    except OSError:
        return None
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
            command = _one(path, source)
            if command is not None and command.name not in reserved:
                found[command.name] = command
    return found
