"""Resuming a session: rebuild the model's exact view from its log, then go on appending to the same log."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.core.events import Notice, ToolCallFinished
from agent.log.writer import LoadedLog, LogError, SessionLog, read_log
from agent.core.state import INTERRUPTED, Totals

if TYPE_CHECKING:
    from agent.backends.base import Model
    from agent.core.session import Session

def _interrupted(call_id: str, name: str) -> ToolCallFinished:
    """The result a call left open by a crash gets."""
    return ToolCallFinished(call_id=call_id, name=name, text="error: " + INTERRUPTED, is_error=True)


def close_pending(session: Session) -> None:
    """Answer the calls a crash left open, in the state only (a view of the log, e.g. the inspector's)."""
    for call_id, name in list(session.state.pending.items()):
        session.state.apply(_interrupted(call_id, name))


def close_interrupted(session: Session) -> int:
    """Log an 'interrupted' result for each call the log left open (crash mid-call); returns how many."""
    pending = list(session.state.pending.items())
    for call_id, name in pending:
        session.emit(_interrupted(call_id, name))
    return len(pending)


def settings_for(loaded: LoadedLog, overrides: dict[str, Any] | None) -> Any:
    """The recorded settings with the non-None overrides applied (for showing a log, never for running it)."""
    from agent.settings.config import Settings

    settings = Settings.from_snapshot(loaded.header.get("settings") or {})
    if not loaded.header.get("settings") and loaded.header.get("model"):
        settings.model = loaded.header["model"]
    for key, value in (overrides or {}).items():
        if value is not None:
            setattr(settings, key, value)
    return settings


# What a session's shape keeps from its log (its view and limits), checked by type; nothing that widens what runs
# or where keys go: model, api_base, approve, allow/deny, sandbox and pass_env always come from today's settings.
SHAPE: dict[str, tuple[type, ...]] = {
    "plan": (bool,), "keep_turns": (int,), "context_budget": (int, str), "context_window": (int,),
    "output_reserve": (int,), "syntax_gate": (str,), "command_timeout": (int, float),
}


def today_settings(loaded: LoadedLog, settings: Any, overrides: dict[str, Any] | None) -> Any:
    """Today's settings (resolved by the caller) plus the log's shape; then the non-None overrides."""
    import dataclasses

    from agent.settings.config import Settings

    fresh = dataclasses.replace(settings) if settings is not None else Settings()
    recorded = loaded.header.get("settings") or {}
    for key, types in SHAPE.items():
        value = recorded.get(key)
        if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
            setattr(fresh, key, value)
    for key, value in (overrides or {}).items():
        if value is not None:
            setattr(fresh, key, value)
    return fresh


def check_root(loaded: LoadedLog, root: Path) -> None:
    """A log only runs in the repository it was recorded in, unless the user named another (--repo)."""
    recorded = loaded.header.get("root")
    if recorded and Path(str(recorded)).resolve() != Path(root).resolve():
        raise LogError(f"this session ran in {recorded}, not in {root}: run pith from that repository "
                       "(`pith resume --repo PATH` continues it in PATH)")


def load_session(path: Path, settings_overrides: dict[str, Any] | None = None, model: Model | None = None,
                 append: bool = True, *, settings: Any = None, root: Path | None = None,
                 new_work: tuple[int, float | None] | None = None) -> Session:
    """A Session rebuilt from the log at `path` with today's `settings`, in `root` (default: the recorded one),
    appending to the same log (unless `append` is false); `new_work` = (max_steps, max_cost) limits the work still
    to come, on top of the restored totals."""
    from agent.compose import build_session

    loaded = read_log(path)
    root = Path(root or loaded.header.get("root") or ".")
    if not root.is_dir():
        raise LogError(f"the session's repository {root} no longer exists")
    run_settings = today_settings(loaded, settings, settings_overrides)
    sid = loaded.header.get("session_id") or path.stem
    session = build_session(run_settings, root, loaded.header.get("git_head"), None, loaded.header.get("task") or "",
                            model=model, session_id=sid)
    session.state.fold(loaded.events)  # the live reducer; emits nothing
    if new_work is not None:  # the settings are this session's own copy, not yet running
        limit_new_work(run_settings, session.state.totals, *new_work)
    if append:  # the resumed SessionStarted clears the earlier turns' outcome (summary, verified, status)
        session.log = SessionLog.append_to(path)
    if loaded.note:
        session.emit(Notice(text=f"resuming from the last complete event: {loaded.note}", level="warning"))
    closed = close_interrupted(session)
    if closed:
        session.emit(Notice(text=f"{closed} tool call(s) had no result (the run was cut off); marked interrupted",
                            level="warning"))
    return session


def limit_new_work(settings: Any, restored: Totals, max_steps: int, max_cost: float | None) -> None:
    """Limits that count the new work: the restored totals are the starting point."""
    settings.max_steps = restored.steps + max_steps
    settings.max_cost = None if max_cost is None else (restored.cost or 0.0) + max_cost


def latest_session(session_dir: Path, root: Path) -> Path | None:
    """The newest session log for repository `root` that got a task (else the newest), or None."""
    from agent.log.catalog import list_sessions

    rows = list_sessions(session_dir, str(root))
    used = [row for row in rows if row.task]  # a UI opened and closed without a message is nothing to continue
    return (used or rows)[0].path if rows else None
