"""The structured scratchpad: facts with pointers and a plan with step status; always in the model's view."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("pending", "in_progress", "done", "skipped")
MARK = {"pending": "[ ]", "in_progress": "[>]", "done": "[x]", "skipped": "[-]"}


@dataclass
class Fact:
    """A fact the model noted, optionally pointing at code; `hash` detects a stale pointer."""

    id: int
    text: str
    path: str | None = None
    symbol: str | None = None
    lines: str | None = None
    hash: str | None = None


class FactNumbers:
    """Hands out fact numbers when `note` runs: notes run concurrently with reads and the pad records a fact only
    when the session folds its event, so counting the pad alone could number two facts alike."""

    def __init__(self, pad: Scratchpad) -> None:
        self.pad = pad
        self.last = 0

    def take(self) -> int:
        """The next number, after every fact recorded or handed out."""
        self.last = max(self.last, len(self.pad.facts)) + 1
        return self.last


@dataclass
class Scratchpad:
    """Facts and plan steps; rendered verbatim in the volatile tail of every request."""

    facts: list[Fact] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)

    def new_fact(self, root: Path, text: str, path: str | None, symbol: str | None, lines: str | None,
                 number: int | None = None) -> Fact:
        """The next fact (not yet recorded: the session's reducer adds it), with a hash of what it points at."""
        fact = Fact(id=number or len(self.facts) + 1, text=text.strip(), path=path, symbol=symbol, lines=lines)
        fact.hash = pointer_hash(root, fact)
        return fact

    def add_fact(self, root: Path, text: str, path: str | None, symbol: str | None, lines: str | None) -> Fact:
        """Record a fact with a content hash of what it points at (a stand-alone pad; a session's is folded)."""
        fact = self.new_fact(root, text, path, symbol, lines)
        self.facts.append(fact)
        return fact

    def set_plan(self, steps: list[dict[str, str]]) -> None:
        """Replace the plan."""
        self.steps = plan_steps(steps)

    def render(self, root: Path | None = None) -> str:
        """The scratchpad as the model sees it; stale pointers are marked."""
        if not self.facts and not self.steps:
            return ""
        parts = []
        if self.steps:
            parts.append("Plan:\n" + "\n".join(f"{MARK.get(s['status'], '[ ]')} {i}. {s['step']}" for i, s in enumerate(self.steps, 1)))
        if self.facts:
            lines = []
            for f in self.facts:
                where = _pointer(f)
                stale = " (STALE: file changed since noted)" if root and f.hash and pointer_hash(root, f) != f.hash else ""
                lines.append(f"#{f.id} {f.text}" + (f" [{where}]" if where else "") + stale)
            parts.append("Facts:\n" + "\n".join(lines))
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Serialisable state."""
        return {"facts": [asdict(f) for f in self.facts], "steps": self.steps}


def plan_steps(steps: list[dict[str, str]]) -> list[dict[str, str]]:
    """Plan steps in their recorded form: {"step", "status"}."""
    return [{"step": s["step"], "status": s.get("status", "pending")} for s in steps]


def _pointer(fact: Fact) -> str:
    """`path:symbol:lines` as far as known."""
    bits = [b for b in (fact.path, fact.symbol) if b]
    text = ":".join(bits)
    if fact.lines:
        text += f" L{fact.lines}"
    return text


def pointer_hash(root: Path, fact: Fact) -> str | None:
    """Hash of the pointed-at lines (or whole file); None when the fact has no file pointer."""
    if not fact.path:
        return None
    try:
        data = (root / fact.path).read_bytes()
    except OSError:
        return "missing"
    if fact.lines:
        try:
            lo, _, hi = fact.lines.partition("-")
            start, end = int(lo), int(hi or lo)
            data = b"\n".join(data.splitlines()[start - 1:end])
        except ValueError:
            pass
    return hashlib.sha256(data).hexdigest()[:16]
