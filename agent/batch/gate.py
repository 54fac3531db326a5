"""A shared rate-limit gate: one small file holding the time before which no new task may start.

When any task's provider answers 429 (its `pith run --json` events carry a notice "rate limited by the provider
429; retry N/M in Xs"), the worker that sees it pushes the gate X seconds into the future; every worker waits at the
gate before starting its next task. The file lives in the batch's output folder, so all workers on one machine
(threads, processes, or local Ray workers) share it; on a cluster each node has its own unless that folder is on
shared storage. Tasks already running are not paused: their own backoff (honouring Retry-After) handles them.
"""
from __future__ import annotations

import fcntl
import os
import re
import time
from pathlib import Path
from typing import Callable

# Matches the backend's retry notice: "rate limited by the provider 429; retry 1/4 in 1.1s" (older: "rate_limit ...").
RATE_NOTICE = re.compile(r"rate[_ ]limit(?:ed)?\b.*?\bretry\b.*?\bin ([0-9]+(?:\.[0-9]+)?)s")
MAX_HOLD = 600.0


def retry_delay(event: dict[str, object]) -> float | None:
    """Seconds to hold the gate for, when `event` is a rate-limit retry notice."""
    if event.get("type") != "notice":
        return None
    match = RATE_NOTICE.search(str(event.get("text", "")))
    return min(float(match.group(1)), MAX_HOLD) if match else None


class FileGate:
    """The gate as a file of one float (epoch seconds); updates are serialised with flock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def until(self) -> float:
        """The epoch time the gate opens (0 when open)."""
        try:
            return float(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def hold(self, seconds: float) -> None:
        """Keep the gate shut for at least `seconds` from now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64).decode(errors="replace").strip()
            current = float(raw) if raw else 0.0
            target = max(current, time.time() + seconds)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{target:.3f}".encode())
        except ValueError:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{time.time() + seconds:.3f}".encode())
        finally:
            os.close(fd)

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Block until the gate is open; returns the seconds waited."""
        waited = 0.0
        while True:
            left = self.until() - time.time()
            if left <= 0:
                return waited
            step = min(left, 1.0)
            sleep(step)
            waited += step
