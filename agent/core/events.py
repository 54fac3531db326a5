"""Typed events (past tense) the core emits; ops, what front ends submit, are in agent/core/ops.py."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # tools.base loads pydantic: the events stay light for readers of logs
    from tools.base import ApprovalKind

_EVENTS: dict[str, type[Event]] = {}


class NoticeLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Decision(StrEnum):
    """An answer to an approval request."""

    ALLOW = "allow"
    ALWAYS = "always"
    DENY = "deny"


class DecidedBy(StrEnum):
    USER = "user"
    POLICY = "policy"


class ErrorKind(StrEnum):
    """Why a model call failed (ModelError.kind), or `internal` for pith's own failures."""

    AUTH = "auth"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    CONTEXT_LENGTH = "context_length"
    BAD_REQUEST = "bad_request"
    BAD_RESPONSE = "bad_response"
    TOOLS_UNSUPPORTED = "tools_unsupported"
    SCRIPT_EXHAUSTED = "script_exhausted"
    OTHER = "other"
    INTERNAL = "internal"


class EvictionReason(StrEnum):
    """Why tool outputs were stubbed (docs/context.md)."""

    AGE = "age"
    BUDGET = "budget"
    REREAD = "reread"
    EDITED = "edited"
    RERUN = "rerun"
    RETRIED = "retried"


class UsagePurpose(StrEnum):
    COMPACTION = "compaction"


class TurnStatus(StrEnum):
    """How a turn (one user message) ended; `log_error`: the session log could not be written, the turn stopped."""

    FINISHED = "finished"
    ANSWERED = "answered"
    NOT_COMPLETED = "not_completed"
    LIMIT_REACHED = "limit_reached"
    MODEL_ERROR = "model_error"
    INTERRUPTED = "interrupted"
    LOG_ERROR = "log_error"


class Outcome(StrEnum):
    """What a tool result did beyond its text ('' for nothing): front ends test `event.outcome == Outcome.FINISHED`."""

    NONE = ""
    FINISHED = "finished"
    COMPACTED = "compacted"
    COMMAND = "command"
    PLAN = "plan"
    NOTE = "note"


@dataclass(kw_only=True)
class Event:
    """Base event. Every subclass declares `durable` (written to the session log or live only): no default."""

    type: ClassVar[str] = "event"
    durable: ClassVar[bool]
    omit_empty: ClassVar[tuple[str, ...]] = ()  # fields added later: left out when empty, so old logs stay as they were
    ts: float = field(default_factory=time.time)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.__dict__.get("durable"), bool):
            raise TypeError(f"{cls.__name__} must declare durable: ClassVar[bool] (True: logged, False: live only)")
        _EVENTS[cls.type] = cls

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the event type first; empty `omit_empty` fields are left out."""
        raw = {"type": self.type, **dataclasses.asdict(self)}
        for name in self.omit_empty:
            if not raw.get(name):
                del raw[name]
        return raw


def event_from_dict(raw: dict[str, Any]) -> Event:
    """Rebuild an event from its dict; unknown keys are ignored, unknown types raise KeyError."""
    cls = _EVENTS[raw["type"]]
    names = {f.name for f in dataclasses.fields(cls)}
    event = cls(**{k: v for k, v in raw.items() if k in names})
    if isinstance(event, ToolCallFinished) and "outcome" not in raw:
        event.outcome = _old_outcome(event)
    return event


def _old_outcome(event: ToolCallFinished) -> Outcome:
    """The outcome of a result logged without one: older logs (names only here, at the log's migration boundary).
    A newer log omits only empty outcomes, and these rules give exactly those results none."""
    if event.name == "finish":
        if not event.is_error:
            return Outcome.FINISHED
        return Outcome.COMMAND if event.data else Outcome.NONE  # only a failed `verify` left data
    if event.name == "run" and "exit_code" in event.data:
        return Outcome.COMMAND
    return Outcome.NONE


@dataclass(kw_only=True)
class SessionStarted(Event):
    type: ClassVar[str] = "session_started"
    durable: ClassVar[bool] = True
    session_id: str
    model: str
    root: str
    resumed: bool = False


@dataclass(kw_only=True)
class UserMessage(Event):
    """What the user typed (`text`, shown as typed) and what pith attached to it (mentions, `!command` output)."""

    type: ClassVar[str] = "user_message"
    omit_empty: ClassVar[tuple[str, ...]] = ("attachment",)
    durable: ClassVar[bool] = True
    text: str
    attachment: str = ""

    def model_text(self) -> str:
        """The user message exactly as the model gets it."""
        return f"{self.text}\n\n{self.attachment}" if self.attachment else self.text



@dataclass(kw_only=True)
class ShellStarted(Event):
    """A `!command` the user started (live view only; its CommandOutput events carry the same call_id)."""

    type: ClassVar[str] = "shell_started"
    durable: ClassVar[bool] = False
    call_id: str
    command: str


@dataclass(kw_only=True)
class ShellRan(Event):
    """A `!command` the user ran; its output reaches the model with the next user message."""

    type: ClassVar[str] = "shell_ran"
    durable: ClassVar[bool] = True
    command: str
    output: str
    exit_code: int | None = None
    duration: float = 0.0
    is_error: bool = False
    call_id: str = ""


@dataclass(kw_only=True)
class ReminderAdded(Event):
    """A message the loop added to the conversation (plan, finish or verify reminder)."""

    type: ClassVar[str] = "reminder_added"
    durable: ClassVar[bool] = True
    text: str


@dataclass(kw_only=True)
class TurnStarted(Event):
    """One model call (a step) begins: it fires per model request, so a user message may have several; TurnEnded
    fires once per user message (the log keeps these names)."""

    type: ClassVar[str] = "turn_started"
    omit_empty: ClassVar[tuple[str, ...]] = ("context_tokens",)
    durable: ClassVar[bool] = True
    step: int
    context_tokens: int = 0  # the request's size, counted before it is sent (a failed request has no reply)



@dataclass(kw_only=True)
class AssistantDelta(Event):
    type: ClassVar[str] = "assistant_delta"
    durable: ClassVar[bool] = False
    text: str


@dataclass(kw_only=True)
class AssistantMessage(Event):
    """One model reply: the exact assistant message appended to the conversation."""

    type: ClassVar[str] = "assistant_message"
    durable: ClassVar[bool] = True
    step: int
    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # = cache_read_tokens (older name, kept)
    cost: float | None = None
    context_tokens: int = 0
    model: str = ""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(kw_only=True)
class ModelUsage(Event):
    """A model call outside the conversation (the compaction summariser): its tokens and cost count too."""

    type: ClassVar[str] = "model_usage"
    durable: ClassVar[bool] = True
    purpose: UsagePurpose
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost: float | None = None


@dataclass(kw_only=True)
class ToolCallStarted(Event):
    type: ClassVar[str] = "tool_call_started"
    durable: ClassVar[bool] = True
    call_id: str
    name: str
    arguments: dict[str, Any]
    label: str = ""


@dataclass(kw_only=True)
class ToolCallFinished(Event):
    """A tool result: `text` is exactly what the model saw."""

    type: ClassVar[str] = "tool_call_finished"
    omit_empty: ClassVar[tuple[str, ...]] = ("outcome",)
    durable: ClassVar[bool] = True
    call_id: str
    name: str
    text: str
    is_error: bool = False
    duration: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome = Outcome.NONE



@dataclass(kw_only=True)
class ApprovalRequested(Event):
    type: ClassVar[str] = "approval_requested"
    durable: ClassVar[bool] = True
    request_id: str
    tool: str
    kind: ApprovalKind
    summary: str
    pattern: str = ""
    detail: str = ""
    reason: str = ""  # why it asks when the mode alone would not (a destructive command in auto mode)
    always: bool = True  # False when allowing 'always' would not stop the next question (destructive commands)


@dataclass(kw_only=True)
class ApprovalResolved(Event):
    type: ClassVar[str] = "approval_resolved"
    durable: ClassVar[bool] = True
    request_id: str
    decision: Decision
    reason: str = ""
    by: DecidedBy = DecidedBy.USER


@dataclass(kw_only=True)
class FileEdited(Event):
    type: ClassVar[str] = "file_edited"
    durable: ClassVar[bool] = True
    path: str
    diff: str
    before_hash: str | None = None
    after_hash: str | None = None


@dataclass(kw_only=True)
class CheckpointCreated(Event):
    type: ClassVar[str] = "checkpoint_created"
    durable: ClassVar[bool] = True
    sha: str
    label: str


@dataclass(kw_only=True)
class PlanUpdated(Event):
    type: ClassVar[str] = "plan_updated"
    durable: ClassVar[bool] = True
    steps: list[dict[str, Any]]


@dataclass(kw_only=True)
class NoteAdded(Event):
    type: ClassVar[str] = "note_added"
    durable: ClassVar[bool] = True
    fact: dict[str, Any]


@dataclass(kw_only=True)
class ContextEvicted(Event):
    """Tool outputs replaced by one-line stubs in the model's view (the log keeps them); `stubs` maps call_id -> stub."""

    type: ClassVar[str] = "context_evicted"
    durable: ClassVar[bool] = True
    call_ids: list[str]
    tokens_before: int
    tokens_after: int
    reason: EvictionReason = EvictionReason.AGE
    stubs: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class ContextCompacted(Event):
    type: ClassVar[str] = "context_compacted"
    durable: ClassVar[bool] = True
    summary: str
    upto_index: int
    tokens_before: int
    tokens_after: int
    focus: str = ""
    dropped: int = 0


@dataclass(kw_only=True)
class Notice(Event):
    """Something the user should know that is not an error (retry, reminder, fallback)."""

    type: ClassVar[str] = "notice"
    durable: ClassVar[bool] = True
    text: str
    level: NoticeLevel = NoticeLevel.INFO


@dataclass(kw_only=True)
class IndexProgress(Event):
    type: ClassVar[str] = "index_progress"
    durable: ClassVar[bool] = False
    done: int
    total: int


@dataclass(kw_only=True)
class CommandOutput(Event):
    """Output a running `run` command printed since the last one (live view only; the result has the whole text)."""

    type: ClassVar[str] = "command_output"
    durable: ClassVar[bool] = False
    call_id: str
    text: str


@dataclass(kw_only=True)
class ModelSwitched(Event):
    """The session now talks to another model (from the next request on)."""

    type: ClassVar[str] = "model_switched"
    durable: ClassVar[bool] = True
    model: str


@dataclass(kw_only=True)
class DiffShown(Event):
    """The session's changes so far, as asked for by ShowDiff (live view only)."""

    type: ClassVar[str] = "diff_shown"
    durable: ClassVar[bool] = False
    text: str


@dataclass
class CheckpointRow:
    """One checkpoint of the session: what restoring it would change."""

    sha: str
    label: str
    when: float
    files: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class CheckpointsListed(Event):
    """The session's checkpoints, newest first, as asked for by ListCheckpoints (live view only)."""

    type: ClassVar[str] = "checkpoints_listed"
    durable: ClassVar[bool] = False
    rows: list[CheckpointRow] = field(default_factory=list)


@dataclass(kw_only=True)
class CommitDrafted(Event):
    """The files a commit would take and a drafted message, as asked for by DraftCommit (live view only)."""

    type: ClassVar[str] = "commit_drafted"
    durable: ClassVar[bool] = False
    message: str
    files: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class CommitMade(Event):
    """The answer to Commit: `sha` is '' when no commit was made; `text` says what happened (live view only)."""

    type: ClassVar[str] = "commit_made"
    durable: ClassVar[bool] = False
    sha: str
    message: str
    text: str


@dataclass(kw_only=True)
class ErrorOccurred(Event):
    type: ClassVar[str] = "error"
    durable: ClassVar[bool] = True
    message: str
    kind: ErrorKind | str = ErrorKind.INTERNAL  # a backend may name a kind this list lacks


@dataclass(kw_only=True)
class TurnEnded(Event):
    """The agent stopped for this user message and waits for the next one (one per user message; see TurnStarted)."""

    type: ClassVar[str] = "turn_ended"
    omit_empty: ClassVar[tuple[str, ...]] = ("limit",)
    durable: ClassVar[bool] = True
    status: TurnStatus
    limit: str = ""  # the limit that stopped it (max steps, max cost, timeout), when one did



@dataclass(kw_only=True)
class SessionFinished(Event):
    """The run's final result; also the last line of `pith run --json`."""

    type: ClassVar[str] = "session_finished"
    durable: ClassVar[bool] = True
    status: TurnStatus
    session_id: str = ""
    log_path: str = ""
    summary: str = ""
    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # = cache_read_tokens (older name, kept)
    cost: float | None = None
    files_changed: list[str] = field(default_factory=list)
    verified: bool = False
    peak_context_tokens: int = 0
    compactions: int = 0
    limit: str | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


StepStarted = TurnStarted  # the clearer name for what TurnStarted is: one model call
