"""Run settings: one typed object built by the CLI and snapshotted into the session log header."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

DEFAULT_MODEL = "anthropic/claude-sonnet-4-5"

ApprovalMode = Literal["ask", "auto", "never"]  # ask a person, allow what rules allow, or deny all changes
ToolProtocol = Literal["native", "text", "auto"]  # how tools reach the model (auto: native, text if refused)
SandboxMode = Literal["workspace-write", "read-only", "off"]  # tools.sandbox.MODES
APPROVAL_MODES: tuple[ApprovalMode, ...] = get_args(ApprovalMode)
TOOL_PROTOCOLS: tuple[ToolProtocol, ...] = get_args(ToolProtocol)


@dataclass
class Settings:
    """Everything that shapes a run; no secrets (API keys stay in the environment)."""

    model: str = DEFAULT_MODEL
    api_base: str | None = None
    approve: ApprovalMode = "ask"
    interactive: bool = False
    max_steps: int = 50
    max_cost: float | None = None
    timeout: float | None = None
    plan: bool = True
    tool_protocol: ToolProtocol = "auto"
    stream: bool = True  # False for servers that cannot stream with tools (llama.cpp): --no-stream
    context_window: int | None = None
    context_budget: int | str | None = None  # None: 32000 (tokens.DEFAULT_BUDGET); "full": the model's window
    output_reserve: int = 4096
    keep_turns: int = 2  # outputs of the last N turns survive an eviction batch (2: cache-weighted ~0.5x on long runs)
    compact_model: str | None = None
    syntax_gate: str = "reject"
    command_timeout: float = 120.0
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    commit: bool = False
    sandbox: SandboxMode = "workspace-write"  # old logs/configs: true / false (sandbox_mode)
    network: bool = False  # sandboxed commands may use the network (--network); off by default
    pass_env: list[str] = field(default_factory=list)

    def apply(self, config: dict[str, Any], explicit: set[str]) -> None:
        """Take config-file values for every setting not given explicitly on the command line."""
        for key, value in config.items():
            if key in ("allow", "deny", "pass_env"):
                setattr(self, key, list(value) + list(getattr(self, key)))
            elif key not in explicit and hasattr(self, key):
                setattr(self, key, sandbox_mode(value) if key == "sandbox" else value)

    def snapshot(self) -> dict[str, Any]:
        """The settings as recorded in a session log header."""
        return asdict(self)

    @classmethod
    def from_snapshot(cls, raw: dict[str, Any]) -> Settings:
        """Rebuild from a log header, ignoring unknown keys from other versions."""
        names = set(cls.__dataclass_fields__)
        values = {k: v for k, v in raw.items() if k in names}
        if "sandbox" in values:  # an old log's `false` was the old default, not a choice: today's default applies
            old = values["sandbox"]
            values["sandbox"] = sandbox_mode(True if isinstance(old, bool) else old)
        return cls(**values)


def sandbox_mode(value: Any) -> SandboxMode:
    """A sandbox setting as a mode name: old booleans (true -> workspace-write, false -> off); unknown -> default."""
    from tools.sandbox import DEFAULT_MODE, SandboxError, normalize_mode

    try:
        return normalize_mode(value)  # type: ignore[return-value]  # one of tools.sandbox.MODES
    except SandboxError:
        return DEFAULT_MODE  # type: ignore[return-value]


def default_session_dir() -> Path:
    """Where session logs live: the platform data dir (e.g. ~/.local/share/pith/sessions)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("pith", appauthor=False)) / "sessions"
