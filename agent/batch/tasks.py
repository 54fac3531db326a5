"""Reading a batch file: one JSON task per line, validated with an error per bad line."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
REQUIRED = ("id", "repo", "task")
OPTIONAL = ("commit", "test", "model")
URL_PATTERN = re.compile(r"^([a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.IGNORECASE)


class TaskFileError(Exception):
    """The batch file cannot be used; the message lists every problem with its line number."""


@dataclass(frozen=True)
class BatchTask:
    """One line of the batch file."""

    id: str
    repo: str
    task: str
    commit: str | None = None
    test: str | None = None
    model: str | None = None
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for Ray and for records)."""
        return asdict(self)

    @property
    def is_url(self) -> bool:
        """Whether `repo` is something to clone rather than a local path."""
        return bool(URL_PATTERN.match(self.repo))


def parse_line(raw: str, n: int, base: Path) -> BatchTask:
    """One task from one line; ValueError says what is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ValueError(f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValueError(f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
                         f"(allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for key, value in data.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"field {key!r} must be a string (got {type(value).__name__})")
    for key in REQUIRED:
        if not data[key].strip():
            raise ValueError(f"field {key!r} is empty")
    if not ID_PATTERN.match(data["id"]):
        raise ValueError(f"id {data['id']!r} must be letters, digits, '.', '_' or '-' (it names files)")
    repo = data["repo"]
    if not URL_PATTERN.match(repo):
        repo = str((base / Path(repo).expanduser()).resolve())
    return BatchTask(id=data["id"], repo=repo, task=data["task"], commit=data.get("commit") or None,
                     test=data.get("test") or None, model=data.get("model") or None, line=n)


def load_tasks(path: Path) -> list[BatchTask]:
    """All tasks in the file; TaskFileError lists every bad line (relative repo paths are from the file's folder)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFileError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise TaskFileError(f"{path} is not UTF-8 text") from None
    base = path.resolve().parent
    tasks: list[BatchTask] = []
    errors: list[str] = []
    first_line: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            task = parse_line(raw, n, base)
        except ValueError as exc:
            errors.append(f"{path}:{n}: {exc}")
            continue
        if task.id in first_line:
            errors.append(f"{path}:{n}: duplicate id {task.id!r} (first on line {first_line[task.id]})")
            continue
        first_line[task.id] = n
        tasks.append(task)
    if errors:
        raise TaskFileError("\n".join(errors))
    if not tasks:
        raise TaskFileError(f"{path}: no tasks (one JSON object per line: id, repo, task, optional commit/test/model)")
    return tasks
