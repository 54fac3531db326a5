"""The approval policy: ask, auto or never, allow/deny rules, and a deny list that asks even in auto."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from agent.core.rules import command_danger, risky_target
from agent.settings.config import ApprovalMode, SandboxMode
from agent.core.protected import config_write
from tools.base import Approval
from tools.sandbox.policy import parse, read_only_command


class Decision(StrEnum):
    """What the policy decides for one tool call."""

    ALLOW = "allow"
    DENY = "deny"
    ASK = "ask"


# Destructive patterns that are easiest to see in the raw text.
DANGEROUS = [
    (re.compile(r"\bmkfs(\.|\s)|\bdd\s+.*of=/dev/"), "writes a device"),
    (re.compile(r">\s*/dev/sd|:\(\)\s*\{\s*:\|:&\s*\};:"), "destroys the system"),
    (re.compile(r"\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b"), "runs a downloaded script"),
]
UNCONFINED = ("no sandbox can confine commands on this system; in auto mode only read-only and test commands run "
              "without a person's approval")


def dangerous(command: str) -> str | None:
    """Why a command is on the deny list (a guard rail on top of the sandbox, not the boundary), or None."""
    for pattern, why in DANGEROUS:
        if pattern.search(command):
            return why
    outside = False  # after `cd ..` (or any cd out of the repository) every relative path is outside too
    for simple in parse(command):
        if simple.program in ("cd", "pushd"):
            target = simple.words[1] if len(simple.words) > 1 else "~"
            outside = outside or risky_target(target)
            continue
        why = command_danger(simple, outside)
        if why:
            return why
    return None


@dataclass
class Policy:
    """Decides allow / deny / ask for each tool call that needs approval."""

    mode: ApprovalMode = "ask"
    allow: list[str] = field(default_factory=list)  # rules like "run:pytest*", "write:*", "edit"
    deny: list[str] = field(default_factory=list)
    always: set[tuple[str, str]] = field(default_factory=set)  # (tool, pattern) allowed for this session
    sandbox: SandboxMode | Literal[""] = ""  # commands run under it ("" or "off": no check that one can be applied)

    def decide(self, tool: str, approval: Approval) -> tuple[Decision, str]:
        """The decision and why."""
        subject = approval.summary
        command = approval.kind == "command"
        if _matches(self.deny, tool, subject, command, every=False):
            return Decision.DENY, "denied by a deny rule in the config"
        if command:
            why = dangerous(subject)
            if why:
                if self.mode == "never":
                    return Decision.DENY, f"destructive command ({why}); approval mode is never"
                return Decision.ASK, f"destructive command: {why}"
        guarded = config_write(approval)
        if guarded and (tool, approval.pattern) not in self.always:
            if self.mode == "never":
                return Decision.DENY, guarded + "; approval mode is never"
            return Decision.ASK, guarded
        if (tool, approval.pattern) in self.always or _matches(self.allow, tool, subject, command, every=True):
            return Decision.ALLOW, "allowed by a rule"
        if self.mode == "auto" and command and self.unconfined() and not read_only_command(subject):
            return Decision.ASK, UNCONFINED
        if self.mode == "auto":
            return Decision.ALLOW, "auto mode"
        if self.mode == "never":
            return Decision.DENY, "approval mode is never: nothing that changes files or runs commands is allowed"
        return Decision.ASK, ""

    def unconfined(self) -> bool:
        """A sandbox mode is set but this machine cannot apply any (probed once per process)."""
        if self.sandbox in ("", "off"):
            return False
        from tools.sandbox import support

        return not support().confined

    def remember(self, tool: str, pattern: str) -> None:
        """'Always allow' for the rest of the session."""
        self.always.add((tool, pattern))


def sandbox_policy(policy: Policy, sandbox: SandboxMode) -> Policy:
    """The policy, knowing the sandbox mode commands will run under."""
    policy.sandbox = sandbox
    return policy


def _matches(rules: list[str], tool: str, subject: str, command: bool, every: bool) -> bool:
    """Rules are `tool` or `tool:glob`, e.g. `run:git push*`. For commands the glob is tried on the raw text and
    on each program the command runs, unwrapped (`cd x && VAR=1 git -C . push` runs `git push`): a deny rule
    matches when any of them does, allow rules only when every program is matched by one."""
    mine = [rule.partition(":")[2] for rule in rules if fnmatch.fnmatch(tool, rule.partition(":")[0])]
    if not mine:
        return False
    if "" in mine or not command:
        return "" in mine or any(fnmatch.fnmatch(subject, glob) for glob in mine)
    texts = [s.text() for s in parse(subject) if s.words and s.program not in ("cd", "pushd")]
    if every:
        return bool(texts) and all(any(fnmatch.fnmatch(t, glob) for glob in mine) for t in texts)
    return any(fnmatch.fnmatch(t, glob) for glob in mine for t in [subject.strip(), *texts])
