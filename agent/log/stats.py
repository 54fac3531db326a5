"""Session statistics across runs, from the logs alone: outcomes, requests, tokens, cost, peak context, compactions."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

SOLVED = ("finished", "answered")


class StatsError(Exception):
    """A bad --since value; the message says what is expected."""


@dataclass
class SessionStats:
    """One session's figures; `status` is the last recorded result ('running or cut off' without one)."""

    id: str
    created: str
    status: str = "running or cut off"
    requests: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    peak_context: int = 0
    compactions: int = 0


@dataclass
class Stats:
    """All sessions and their totals."""

    sessions: list[SessionStats] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        """Sums over the sessions; cost is None when any session's cost is unknown."""
        rows = self.sessions
        costs = [s.cost for s in rows]
        return {
            "sessions": len(rows), "solved": sum(s.status in SOLVED for s in rows),
            "failed": sum(s.status not in SOLVED and s.status != "running or cut off" for s in rows),
            "unfinished": sum(s.status == "running or cut off" for s in rows),
            "requests": sum(s.requests for s in rows), "input_tokens": sum(s.input_tokens for s in rows),
            "cached_tokens": sum(s.cached_tokens for s in rows),
            "cache_write_tokens": sum(s.cache_write_tokens for s in rows),
            "output_tokens": sum(s.output_tokens for s in rows),
            "cost": None if any(c is None for c in costs) else round(sum(c for c in costs if c is not None), 6),
            "peak_context": max((s.peak_context for s in rows), default=0),
            "compactions": sum(s.compactions for s in rows),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every session and the totals."""
        return {"sessions": [asdict(s) for s in self.sessions], "totals": self.totals()}


def parse_since(text: str) -> datetime:
    """YYYY-MM-DD or an ISO date and time; anything else is a clear error."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise StatsError(f"--since must be a date like 2026-12-01 or 2026-12-01T09:30 (got {text!r})") from None
    return when.replace(tzinfo=None)


def created_at(value: str) -> datetime | None:
    """The header's creation time (local time as written), or None when missing or odd."""
    try:
        return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError):
        return None


def _add(stats: SessionStats, record: dict[str, Any]) -> None:
    """Count one logged event."""
    kind = record.get("type")
    if kind == "assistant_message":
        stats.requests += 1
        stats.input_tokens += int(record.get("input_tokens") or 0)
        stats.cached_tokens += int(record.get("cache_read_tokens") or record.get("cached_tokens") or 0)
        stats.cache_write_tokens += int(record.get("cache_write_tokens") or 0)
        stats.output_tokens += int(record.get("output_tokens") or 0)
        cost = record.get("cost")
        stats.cost = None if stats.cost is None or cost is None else stats.cost + float(cost)
        stats.peak_context = max(stats.peak_context, int(record.get("context_tokens") or 0))
    elif kind == "context_compacted":
        stats.compactions += 1
    elif kind == "session_finished":
        stats.status = str(record.get("status") or stats.status)
        stats.peak_context = max(stats.peak_context, int(record.get("peak_context_tokens") or 0))


def session_stats(path: Path) -> SessionStats | None:
    """One log's figures, read line by line (a cut-off last line is skipped); None if not a pith log."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            header = json.loads(handle.readline() or "{}")
            if not isinstance(header, dict) or "pith_log" not in header:
                return None
            stats = SessionStats(id=str(header.get("session_id") or path.stem), created=str(header.get("created", "")))
            for line in handle:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    _add(stats, record)
    except (OSError, json.JSONDecodeError):
        return None
    return stats


def collect(directory: Path, since: datetime | None = None) -> Stats:
    """Stats of every session log in `directory` created at or after `since`, oldest first."""
    rows = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
        stats = session_stats(path)
        if stats is None:
            continue
        when = created_at(stats.created)
        if since is not None and (when is None or when < since):
            continue
        rows.append(stats)
    return Stats(sorted(rows, key=lambda s: (s.created, s.id)))
