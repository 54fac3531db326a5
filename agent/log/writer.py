"""The session log: append-only JSONL, a versioned header, one durable event per line, flushed as it happens."""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from agent.core.events import Event, event_from_dict
from agent.log.redact import Redactor

LOG_FORMAT = 1


class LogError(Exception):
    """The log cannot be written or read; the message says why in plain words."""


def new_session_id() -> str:
    """Sortable and unique: date, time and a random suffix."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class SessionLog:
    """Writes the header then events; every line is flushed so a crash loses nothing already done."""

    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = path
        self.redactor = redactor or Redactor.from_env()
        self._file: IO[str] | None = None

    @classmethod
    def create(cls, directory: Path, session_id: str, header: dict[str, Any]) -> SessionLog:
        """Open a new log and write its header."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LogError(f"cannot create the session folder {directory}: {exc.strerror}") from None
        log = cls(directory / f"{session_id}.jsonl")
        log._open()
        log._write({"pith_log": LOG_FORMAT, "session_id": session_id, **header})
        return log

    @classmethod
    def append_to(cls, path: Path) -> SessionLog:
        """Reopen an existing log for appending (resume); a partial last line is cut off first."""
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(path, "r+b") as handle:
                handle.truncate(cut)
        log = cls(path)
        log._open()
        return log

    def _open(self) -> None:
        """Open for appending with line buffering."""
        try:
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise LogError(f"cannot write the session log {self.path}: {exc.strerror}") from None

    def _write(self, record: dict[str, Any]) -> None:
        """One redacted JSON line, flushed."""
        assert self._file is not None
        clean = self.redactor.value(record)  # strings only: keys and numbers ("input_tokens": 12) stay as they are
        line = json.dumps(clean, ensure_ascii=False, default=str)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a provider: escape it rather than cut the log
            line = json.dumps(clean, ensure_ascii=True, default=str)
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as exc:
            raise LogError(f"cannot write the session log {self.path}: {exc.strerror}") from None

    def write(self, event: Event) -> None:
        """Append a durable event."""
        if event.durable:
            self._write(event.to_dict())

    def close(self) -> None:
        """Flush to disk and close."""
        if self._file:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError:
                pass
            self._file.close()
            self._file = None


@dataclass
class LoadedLog:
    """A parsed log: header, events, and a note when the last line was cut off by a crash."""

    path: Path
    header: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    note: str = ""


def read_log(path: Path) -> LoadedLog:
    """Parse a session log; refuse unknown formats with a clear message."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise LogError(f"cannot read {path}: {exc.strerror}") from None
    lines = text.split("\n")
    try:
        header = json.loads(lines[0])
    except (json.JSONDecodeError, IndexError):
        raise LogError(f"{path} is not a pith session log (no header line)") from None
    version = header.get("pith_log")
    if version != LOG_FORMAT:
        raise LogError(f"{path}: log format {version!r} is not supported by this pith (reads format {LOG_FORMAT})")
    loaded = LoadedLog(path=path, header=header)
    body = lines[1:]
    for n, line in enumerate(body, 2):
        if not line.strip():
            continue
        try:
            loaded.events.append(event_from_dict(json.loads(line)))
        except json.JSONDecodeError:
            if n == len(lines) or all(not rest.strip() for rest in lines[n:]):
                loaded.note = f"the last line ({n}) was incomplete (the run was cut off); it was ignored"
                break
            raise LogError(f"{path}:{n}: corrupt line in the middle of the log") from None
        except KeyError:
            continue  # an event type from a newer pith: skip it, keep the rest
        except (TypeError, AttributeError):
            raise LogError(f"{path}:{n}: an event with missing or malformed fields (written by another pith?)") from None
    return loaded
