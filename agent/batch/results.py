"""results.jsonl (append + flush per task), patch files, the progress line and the summary table."""
from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any, TextIO

STATUSES = ("solved", "failed", "limit_reached", "error", "crashed", "timeout")
SUMMED = ("input_tokens", "output_tokens", "cached_tokens", "cost", "wall_time", "steps")


class ResultStore:
    """The batch's results file: one JSON line per finished task, written as each finishes."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.path = out_dir / "results.jsonl"
        self.patches = out_dir / "patches"

    def load(self) -> list[dict[str, Any]]:
        """Every complete record (a line cut short by a crash is ignored and its task runs again)."""
        if not self.path.is_file():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "id" in record:
                records.append(record)
        return records

    def done_ids(self) -> set[str]:
        """Ids already recorded (skipped on a re-run)."""
        return {r["id"] for r in self.load()}

    def repair(self) -> None:
        """Drop a last line cut short by a crash (no newline), so the file stays valid JSONL; that task reruns."""
        if self.path.is_file() and self.path.stat().st_size:
            data = self.path.read_bytes()
            if not data.endswith(b"\n"):
                with open(self.path, "rb+") as fh:
                    fh.truncate(data.rfind(b"\n") + 1)

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        """Write the patch file, then append the record and flush it to disk; returns the record as written."""
        record = dict(record)
        patch_text = record.pop("patch_text", None)
        if patch_text:
            self.patches.mkdir(parents=True, exist_ok=True)
            patch = self.patches / f"{record['id']}.patch"
            patch.write_text(patch_text, encoding="utf-8")
            record["patch"] = str(patch)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return record


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per status, and totals and medians of tokens, cost, steps and wall time."""
    counts = {s: sum(1 for r in records if r.get("status") == s) for s in STATUSES}
    totals: dict[str, float | None] = {}
    medians: dict[str, float | None] = {}
    for key in SUMMED:
        values = [r[key] for r in records if isinstance(r.get(key), (int, float))]
        totals[key] = round(sum(values), 6) if values else (None if key == "cost" else 0)
        medians[key] = statistics.median(values) if values else None
    return {"tasks": len(records), "counts": counts, "totals": totals, "medians": medians,
            "cost_known": sum(1 for r in records if isinstance(r.get("cost"), (int, float)))}


def _fmt(value: float | None, key: str) -> str:
    """A table cell."""
    if value is None:
        return "-"
    if key == "cost":
        return f"${value:.4f}"
    if key == "wall_time":
        return f"{value:.1f}s"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def summary_table(summary: dict[str, Any]) -> str:
    """The end-of-batch table as text."""
    counts = summary["counts"]
    head = [f"tasks {summary['tasks']}: " + ", ".join(f"{s} {counts[s]}" for s in STATUSES)]
    head.append(f"{'':14}{'total':>14}{'median':>12}")
    for key in ("input_tokens", "output_tokens", "cached_tokens", "steps", "cost", "wall_time"):
        head.append(f"{key:14}{_fmt(summary['totals'][key], key):>14}{_fmt(summary['medians'][key], key):>12}")
    if summary["cost_known"] < summary["tasks"]:
        head.append(f"(cost known for {summary['cost_known']} of {summary['tasks']} tasks)")
    return "\n".join(head)


class Progress:
    """done/running/failed and tokens so far on stderr: one redrawn line on a TTY, plain lines otherwise."""

    def __init__(self, total: int, out: TextIO, tty: bool | None = None) -> None:
        self.total = total
        self.out = out
        self.tty = out.isatty() if tty is None else tty
        self.done = self.failed = self.running = self.tokens = 0
        self.started = time.monotonic()

    def line(self) -> str:
        """The current progress text."""
        elapsed = time.monotonic() - self.started
        return (f"batch: {self.done}/{self.total} done, {self.running} running, {self.failed} not solved, "
                f"{self.tokens:,} tokens, {elapsed:.0f}s")

    def started_task(self, running: int) -> None:
        """A task was handed to a worker."""
        self.running = running
        if self.tty:
            self._draw()

    def finished(self, record: dict[str, Any], running: int) -> None:
        """A task's record was written."""
        self.done += 1
        self.running = running
        self.failed += record.get("status") != "solved"
        self.tokens += int(record.get("input_tokens") or 0) + int(record.get("output_tokens") or 0)
        if self.tty:
            self._draw()
        else:
            print(f"{record['id']}: {record['status']} ({record.get('wall_time', 0):.1f}s) | {self.line()}",
                  file=self.out, flush=True)

    def _draw(self) -> None:
        """Redraw the one line."""
        self.out.write("\r\x1b[K" + self.line())
        self.out.flush()

    def close(self) -> None:
        """End the redrawn line."""
        if self.tty:
            self.out.write("\n")
            self.out.flush()
