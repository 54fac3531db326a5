"""Secrets never reach logs, exports or the screen: env values of key variables and common key shapes."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

KEY_NAME = re.compile(r"(API_KEY|_TOKEN|SECRET|PASSWORD|ACCESS_KEY)", re.I)
KEY_SHAPES = re.compile(
    r"(sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|ghp_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|"
    r"xox[baprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{30,})"
)
MASK = "[REDACTED]"


@dataclass
class Redactor:
    """Replaces known secret values and key-shaped strings."""

    values: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> Redactor:
        """Collect secret-looking environment values (long enough to be keys)."""
        vals = [v for k, v in os.environ.items() if KEY_NAME.search(k) and len(v) >= 8]
        return cls(values=sorted(set(vals), key=len, reverse=True))

    def redact(self, text: str) -> str:
        """The text with secrets masked."""
        for value in self.values:
            if value in text:
                text = text.replace(value, MASK)
        return KEY_SHAPES.sub(MASK, text)
