"""Resuming a session: rebuild the model's exact view from its log, then go on appending to the same log."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.core.events import (
    AssistantMessage, Event, FileEdited, ModelUsage, Notice, NoteAdded, PlanUpdated,
    ReminderAdded, SessionFinished, ToolCallFinished, TurnEnded, UserMessage,
)
from agent.log.writer import LoadedLog, LogError, SessionLog, read_log

if TYPE_CHECKING:
    from agent.backends.base import Model
    from agent.core.session import Session

INTERRUPTED = "interrupted: the session stopped before this call returned; it may or may not have run"
def _close_pending(session: Session, pending: dict[str, str]) -> None:
    """Answer tool calls left without a result (history only: the log already moved on)."""
    for call_id in list(pending):
        session.history.append({"role": "tool", "tool_call_id": call_id, "content": "error: " + INTERRUPTED})
    pending.clear()


def _on_assistant(session: Session, event: AssistantMessage, pending: dict[str, str]) -> None:
    """An assistant message exactly as the loop appended it; its calls await results."""
    _close_pending(session, pending)
    message: dict[str, Any] = {"role": "assistant", "content": event.content}
    if event.tool_calls:
        message["tool_calls"] = event.tool_calls
    session.history.append(message)
    for call in event.tool_calls:
        pending[call["id"]] = call.get("function", {}).get("name", "")
    session.totals.add(event)
    session.context.peak_tokens = max(session.context.peak_tokens, event.context_tokens)


def replay_events(session: Session, events: list[Event]) -> None:
    """Rebuild history, scratchpad, context and totals from logged events (emits nothing)."""
    from agent.context.scratchpad import Fact

    pending: dict[str, str] = {}
    for event in events:
        session.context.apply(event)  # evictions, compactions and read regions, exactly as live
        if isinstance(event, (UserMessage, ReminderAdded)):
            _close_pending(session, pending)
            text = event.model_text() if isinstance(event, UserMessage) else event.text
            session.history.append({"role": "user", "content": text})
        elif isinstance(event, AssistantMessage):
            _on_assistant(session, event, pending)
        elif isinstance(event, ToolCallFinished):
            pending.pop(event.call_id, None)
            session.history.append({"role": "tool", "tool_call_id": event.call_id, "content": event.text})
        elif isinstance(event, PlanUpdated):
            session.pad.set_plan(event.steps)
        elif isinstance(event, NoteAdded):
            names = set(Fact.__dataclass_fields__)
            session.pad.facts.append(Fact(**{k: v for k, v in event.fact.items() if k in names}))
        elif isinstance(event, FileEdited) and event.path not in session.totals.files:
            session.totals.files.append(event.path)
        elif isinstance(event, ModelUsage):
            session.totals.add(event)
        elif isinstance(event, TurnEnded):
            session.totals.last_status = event.status
        elif isinstance(event, SessionFinished):
            session.totals.summary = event.summary or session.totals.summary
            session.totals.verified = event.verified
    session.pending_calls = dict(pending)  # type: ignore[attr-defined]


def close_interrupted(session: Session) -> int:
    """Log an 'interrupted' result for each call the log left open (crash mid-call); returns how many."""
    pending: dict[str, str] = getattr(session, "pending_calls", {})
    # replay_events put nothing in history for these yet: the emitted results go there and into the log.
    for call_id, name in pending.items():
        session.history.append({"role": "tool", "tool_call_id": call_id, "content": "error: " + INTERRUPTED})
        session.record_result(ToolCallFinished(call_id=call_id, name=name, text="error: " + INTERRUPTED, is_error=True))
    count = len(pending)
    pending.clear()
    return count


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
                 append: bool = True, *, settings: Any = None, root: Path | None = None) -> Session:
    """A Session rebuilt from the log at `path` with today's `settings`, in `root` (default: the recorded one),
    appending to the same log (unless `append` is false)."""
    from agent.compose import build_session

    loaded = read_log(path)
    root = Path(root or loaded.header.get("root") or ".")
    if not root.is_dir():
        raise LogError(f"the session's repository {root} no longer exists")
    run_settings = today_settings(loaded, settings, settings_overrides)
    sid = loaded.header.get("session_id") or path.stem
    session = build_session(run_settings, root, loaded.header.get("git_head"), None, loaded.header.get("task") or "",
                            model=model, session_id=sid)
    replay_events(session, loaded.events)
    if append:
        session.log = SessionLog.append_to(path)
        # The outcome so far belongs to the earlier turns: a failed continuation must not report it as its own.
        session.totals.summary, session.totals.verified = "", False
        session.totals.last_status = "not_completed"
    if loaded.note:
        session.emit(Notice(text=f"resuming from the last complete event: {loaded.note}", level="warning"))
    closed = close_interrupted(session)
    if closed:
        session.emit(Notice(text=f"{closed} tool call(s) had no result (the run was cut off); marked interrupted",
                            level="warning"))
    return session


def latest_session(session_dir: Path, root: Path) -> Path | None:
    """The newest session log for repository `root` that got a task (else the newest), or None."""
    from agent.log.catalog import list_sessions

    rows = list_sessions(session_dir, str(root))
    used = [row for row in rows if row.task]  # a UI opened and closed without a message is nothing to continue
    return (used or rows)[0].path if rows else None
