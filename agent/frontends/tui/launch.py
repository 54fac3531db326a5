"""How the TUI gets its sessions: new, resumed, or rebuilt with another model (no textual here)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.settings.config import Settings

if TYPE_CHECKING:
    from agent.backends.base import Model
    from agent.core.session import Session

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
    offered: dict[str, Settings] = field(default_factory=dict)  # model name -> its settings, built by `factory`

    def model(self, settings: Settings | None = None) -> Model:
        """A model for the settings (the injected factory, else the real backends)."""
        settings = settings or self.settings
        if self.model_factory is not None:
            return self.model_factory(settings)
        from agent.compose import make_model

        return make_model(settings)

    def new_session(self, task: str = "") -> Session:
        """A fresh session (slow the first time: imports the model backend)."""
        from agent.compose import build_session

        session = build_session(self.settings, self.root, self.head, self.session_dir, task, model=self.model(),
                                factory=self.factory, notices=self.notices)
        self.notices = []  # shown once: the first session's log and view have them
        self.warm_up()
        return session

    def warm_up(self) -> None:
        """Once a session is ready, load litellm in the background: the first request need not wait for it."""
        if self.model_factory is None:
            from agent.compose import warm_up

            warm_up(self.settings)

    def factory(self, name: str) -> tuple[Model, Settings]:
        """A model for another name and the settings it runs with (the session's /model and compaction model), its
        key checked first; raises with a clear message."""
        from agent.compose import UsageError, make_model
        from agent.settings.load import missing_key, switched

        settings = switched(self.settings, name, self.root, self.flags, self.explicit)
        problem = missing_key(settings)
        if problem:
            raise UsageError(problem)
        model = make_model(settings)
        self.offered[model.name] = settings
        return model, settings

    def switch_model(self, name: str) -> Model:
        """A model for another name, for the next session; raises with a clear message and keeps the old one."""
        model, self.settings = self.factory(name)
        return model

    def model_switched(self, model: str) -> None:
        """The session switched to `model` (a ModelSwitched event): the next session starts with it too."""
        built = self.offered.pop(model, None)
        if built is None:  # a resumed session builds its models with the core's factory
            from agent.settings.load import switched

            built = switched(self.settings, model, self.root, self.flags, self.explicit)
        self.settings = built

    def resume(self, path: Path) -> Session:
        """The session in the log at `path`, ready to continue, with today's model and settings (this repository's)."""
        from agent.log.writer import read_log
        from agent.log.resume import check_root, load_session

        check_root(read_log(path), self.root)  # a log from another repository does not run here
        overrides: dict[str, Any] = {"interactive": True}
        session = load_session(path, overrides, model=self.model(), settings=self.settings, root=self.root)
        self.warm_up()
        return session

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
