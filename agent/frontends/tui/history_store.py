"""Input history per repository, kept in the user's data folder (never in the repository)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MAX_ENTRIES = 1000
MAX_CHARS = 20_000


def history_file(data_dir: Path, root: Path) -> Path:
    """The history file for a repository: keyed by a hash of its real path."""
    key = hashlib.sha1(os.path.realpath(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(data_dir) / "history" / f"{key}.jsonl"


class HistoryStore:
    """What the user sent in this repository, oldest first; `path` None keeps it in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.error = ""

    def load(self) -> list[str]:
        """The saved entries (bad lines skipped), at most MAX_ENTRIES."""
        if self.path is None or not self.path.is_file():
            return []
        entries: list[str] = []
        try:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        text = json.loads(line).get("text")
                    except (ValueError, AttributeError):
                        continue
                    if isinstance(text, str) and text and (not entries or entries[-1] != text):
                        entries.append(text)
        except OSError as exc:
            self.error = f"input history not read: {exc.strerror or exc}"
        return entries[-MAX_ENTRIES:]

    def append(self, text: str) -> None:
        """Save one entry (long pastes are not kept); rewrites the file when it grows past twice the cap."""
        if self.path is None or not text.strip() or len(text) > MAX_CHARS:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"text": text}) + "\n")
            if self.path.stat().st_size > MAX_ENTRIES * 400:
                self._trim()
        except OSError as exc:
            self.error = f"input history not saved: {exc.strerror or exc}"

    def _trim(self) -> None:
        """Keep the newest MAX_ENTRIES entries."""
        entries = self.load()
        tmp = self.path.with_suffix(".tmp")  # type: ignore[union-attr]
        tmp.write_text("".join(json.dumps({"text": t}) + "\n" for t in entries), encoding="utf-8")
        os.replace(tmp, self.path)  # type: ignore[arg-type]


def search(entries: list[str], query: str, limit: int = 50) -> list[str]:
    """Entries containing every word of `query` (case-insensitive), newest first, without repeats."""
    words = query.lower().split()
    seen: set[str] = set()
    found: list[str] = []
    for text in reversed(entries):
        low = text.lower()
        if text in seen or not all(w in low for w in words):
            continue
        seen.add(text)
        found.append(text)
        if len(found) >= limit:
            break
    return found
