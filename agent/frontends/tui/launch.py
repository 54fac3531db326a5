"""How the TUI gets its sessions: new, resumed, or rebuilt with another model (no textual here)."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.settings.config import Settings

if TYPE_CHECKING:
    from agent.backends.base import Model
    from agent.core.session import Session

NO_RESUME = "resuming sessions needs agent.log.resume, which this build does not have yet"


@dataclass
class Launch:
    """Settings and places for building sessions; `model_factory` lets tests inject a model."""

    settings: Settings
    root: Path
    head: str | None = None
    session_dir: Path | None = None
    model_factory: Callable[[Settings], Model] | None = None
    notices: list[str] = field(default_factory=list)  # from settings resolution, shown once in the first session
    flags: dict[str, Any] = field(default_factory=dict)  # the command line's values, to re-resolve on /model
    explicit: set[str] = field(default_factory=set)

    def model(self, settings: Settings | None = None) -> Model:
        """A model for the settings (the injected factory, else the real backends)."""
        settings = settings or self.settings
        if self.model_factory is not None:
            return self.model_factory(settings)
        from agent.compose import make_model

        return make_model(settings)

    def new_session(self, task: str = "") -> Session:
        """A fresh session (slow the first time: imports the model backend)."""
        from agent.core.events import Notice
        from agent.compose import build_session

        session = build_session(self.settings, self.root, self.head, self.session_dir, task, model=self.model())
        for text in self.notices:
            session.emit(Notice(text=text, level="warning"))
        self.notices = []
        self.warm_up()
        return session

    def warm_up(self) -> None:
        """Once a session is ready, load litellm in the background: the first request need not wait for it."""
        if self.model_factory is None:
            from agent.compose import warm_up

            warm_up(self.settings)

    def switch_model(self, name: str) -> Model:
        """A model for another name, its key checked first; raises with a clear message and keeps the old one."""
        from agent.compose import UsageError, make_model
        from agent.settings.load import missing_key, switched

        settings = switched(self.settings, name, self.root, self.flags, self.explicit)
        problem = missing_key(settings)
        if problem:
            raise UsageError(problem)
        model = make_model(settings)
        self.settings = settings
        return model

    def resume(self, path: Path) -> Session:
        """The session in the log at `path`, ready to continue; raises RuntimeError if resume is unavailable."""
        try:
            from agent.log import resume as resume_mod
        except ImportError:
            raise RuntimeError(NO_RESUME) from None
        from agent.log.writer import read_log

        resume_mod.check_root(read_log(path), self.root)  # a log from another repository does not run here
        overrides: dict[str, Any] = {"interactive": True}
        model = self.model()  # today's model, never the log's
        if hasattr(resume_mod, "load_session"):  # today's settings, in this repository only
            session = resume_mod.load_session(path, overrides, model=model, settings=self.settings, root=self.root)
            self.warm_up()
            return session
        if hasattr(resume_mod, "resume_session"):
            return resume_mod.resume_session(path, overrides, model=model)
        raise RuntimeError(NO_RESUME)

    def latest(self) -> Path | None:
        """The newest session log of this repository."""
        from agent.log.catalog import list_sessions

        rows = list_sessions(self.session_dir, str(self.root)) if self.session_dir else []
        return rows[0].path if rows else None

    def sessions(self) -> list[Any]:
        """This repository's sessions, newest first; a session started empty shows its first message."""
        from agent.log.catalog import list_sessions

        rows = list_sessions(self.session_dir, str(self.root)) if self.session_dir else []
        for row in rows:
            if not row.task:
                row.task = first_message(row.path)
        return rows

    def past_events(self, path: Path) -> list[Any]:
        """The logged events of a session, to draw its history."""
        from agent.log.writer import read_log

        return list(read_log(path).events)


def first_message(path: Path, max_lines: int = 2000) -> str:
    """The first user message in a session log (one line, cut at 60 characters), or ''."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for n, line in enumerate(handle):
                if n > max_lines:
                    break
                if '"user_message"' in line:
                    text = str(json.loads(line).get("text", "")).strip()
                    return text.splitlines()[0][:60] if text else ""
    except (OSError, ValueError):
        pass
    return ""
