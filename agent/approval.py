"""The approval policy: ask, auto or never, allow/deny rules, and a deny list that asks even in auto."""
from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass, field

from agent.protected import config_write
from tools.base import Approval

MODES = ("ask", "auto", "never")

# Destructive commands: never run without a person saying yes, whatever the mode.
DANGEROUS = [
    (re.compile(r"\brm\s+(-[a-zA-Z]*[rf][a-zA-Z]*\s+)+(/|~|\$HOME|\*|\.\.?)(\s|$|/\s*$)"), "recursive delete of a root, home or parent folder"),
    (re.compile(r"\bgit\s+push\b.*(--force\b|-f\b|--force-with-lease|\s\+\S)"), "force push"),
    (re.compile(r"\bgit\s+branch\s+.*-D\b|\bgit\s+branch\s+.*--delete\s+--force"), "deletes a branch"),
    (re.compile(r"\bfind\s+(/|~|\$HOME|\.\.)\S*\s.*-delete\b"), "mass delete outside the repository"),
    (re.compile(r"\bgit\s+reset\s+--hard\b"), "git reset --hard discards work"),
    (re.compile(r"\bgit\s+clean\s+-[a-zA-Z]*f"), "git clean deletes untracked files"),
    (re.compile(r"\bgit\s+(checkout|restore)\s+(--\s+)?\.(\s|$)"), "discards all working-tree changes"),
    (re.compile(r"(^|[;&|]\s*)(sudo|su)\s"), "runs as another user"),
    (re.compile(r"\bmkfs(\.|\s)|\bdd\s+.*of=/dev/"), "writes a device"),
    (re.compile(r">\s*/dev/sd|:\(\)\s*\{\s*:\|:&\s*\};:"), "destroys the system"),
    (re.compile(r"(>|\btee\b|\bcp\b|\bmv\b|\brm\b)[^;&|]*\.git/"), "writes inside .git/"),
    (re.compile(r"\bchmod\s+-R\s+777\s+/"), "opens permissions on the whole system"),
    (re.compile(r"\b(curl|wget)\b[^|]*\|\s*(ba|z)?sh\b"), "runs a downloaded script"),
]


RECURSIVE = {"-r", "-R", "--recursive"}


def _risky_target(target: str) -> bool:
    """A delete target outside the repository: absolute, home, parent, or everything."""
    return (target.startswith(("/", "~", "$HOME", "${HOME}", '"$HOME', "..")) or "/.." in target
            or target in ("*", ".", "./", ".*", "./*"))


def _risky_rm(command: str) -> bool:
    """`rm` with a recursive flag aimed outside the repository (any segment of a pipeline or list)."""
    for segment in re.split(r"[;&|]+|\$\(|`", command):
        try:
            words = shlex.split(segment)
        except ValueError:
            words = segment.split()
        while words and ("=" in words[0] or words[0] in ("sudo", "command", "exec", "xargs", "nice", "env")):
            words = words[1:]
        if not words or words[0].rsplit("/", 1)[-1] != "rm":
            continue
        flags = {w for w in words[1:] if w.startswith("-")}
        recursive = bool(flags & RECURSIVE) or any(w[1:].isalpha() and "r" in w.lower() for w in flags if not w.startswith("--"))
        if recursive and any(_risky_target(w) for w in words[1:] if not w.startswith("-") or w == "-"):
            return True
    return False


def dangerous(command: str) -> str | None:
    """Why a command is on the deny list, or None."""
    if _risky_rm(command):
        return "recursive delete outside the repository"
    for pattern, why in DANGEROUS:
        if pattern.search(command):
            return why
    return None


@dataclass
class Policy:
    """Decides allow / deny / ask for each tool call that needs approval."""

    mode: str = "ask"
    allow: list[str] = field(default_factory=list)  # rules like "run:pytest*", "write:*", "edit"
    deny: list[str] = field(default_factory=list)
    always: set[tuple[str, str]] = field(default_factory=set)  # (tool, pattern) allowed for this session

    def decide(self, tool: str, approval: Approval) -> tuple[str, str]:
        """('allow' | 'deny' | 'ask', reason)."""
        subject = approval.summary
        if _matches(self.deny, tool, subject):
            return "deny", "denied by a deny rule in the config"
        if approval.kind == "command":
            why = dangerous(subject)
            if why:
                return ("deny", f"destructive command ({why}); approval mode is never") if self.mode == "never" else ("ask", f"destructive command: {why}")
        guarded = config_write(approval)
        if guarded and (tool, approval.pattern) not in self.always:
            return ("deny", guarded + "; approval mode is never") if self.mode == "never" else ("ask", guarded)
        if (tool, approval.pattern) in self.always or _matches(self.allow, tool, subject):
            return "allow", "allowed by a rule"
        if self.mode == "auto":
            return "allow", "auto mode"
        if self.mode == "never":
            return "deny", "approval mode is never: nothing that changes files or runs commands is allowed"
        return "ask", ""

    def remember(self, tool: str, pattern: str) -> None:
        """'Always allow' for the rest of the session."""
        self.always.add((tool, pattern))


def _matches(rules: list[str], tool: str, subject: str) -> bool:
    """Rules are `tool` or `tool:glob`, e.g. `run:pytest*`."""
    for rule in rules:
        name, _, pattern = rule.partition(":")
        if fnmatch.fnmatch(tool, name) and (not pattern or fnmatch.fnmatch(subject, pattern)):
            return True
    return False
