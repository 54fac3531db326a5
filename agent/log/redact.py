"""Secrets never reach logs, exports or the screen: env values of key variables and common key shapes."""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

MASK = "[REDACTED]"
SECRET_WORDS = r"(?:KEY|TOKEN|SECRET|PASS|CREDENTIAL|PWD)"
KEY_NAME = re.compile(SECRET_WORDS, re.I)
# names that contain a secret word but name something else (counters, keyboards, sort keys)
NOT_SECRET_NAME = re.compile(
    r"(?i)(tokens?_?(count|type|usage|limit|s)$|max_?tokens|tokeniz|keyboard|keybind|hotkey|monkey|^keys?$|"
    r"passed|bypass|compass|passenger|passthrough|sort_?key|primary_?key|foreign_?key|key_?(name|id|func|fn|path|"
    r"file|env|var|map|code|length|len)$|_path$|_file$|_dir$|_env$|_url$)"
)
KEY_SHAPES = re.compile(
    r"(sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|"
    r"xox[abeoprs]-[A-Za-z0-9\-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{30,}|"
    r"npm_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_\-]{20,}|"
    r"\b[spr]k_(?:live|test)_[A-Za-z0-9]{10,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
)
AWS_ID = re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")
START = r"(?:(?<=\\n)|(?<=\\t)|\b)"  # a word start, also right after an escaped newline in JSON text
AWS_SECRET = re.compile(r"(?:(?<=\\n)|(?<![A-Za-z0-9/+]))[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
PEM = re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S)
URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^/\s:@\"'<>]+:)([^/\s@\"'<>]+)(@)")
# NAME=value in env files and shells (upper-case name, no spaces around '=')
ENV_ASSIGN = re.compile(START + r"([A-Z][A-Z0-9_]{0,40}?" + SECRET_WORDS + r"[A-Z0-9_]{0,40})=(\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)")
# "name": "value", name = "value", name: 'value' (any case; the value quoted)
QUOTED_ASSIGN = re.compile(
    r"(?i)(?<![\w.\-])([\w.\-]{0,40}?" + SECRET_WORDS + r"[\w.\-]{0,40})((?:\\*[\"'])?[ \t]*[:=][ \t]*)(\\*[\"'])"
    r"([^\"'\n]{4,})\3"  # the quotes may be escaped (\"): JSON inside a JSON string, as tool arguments are
)
# name: value (YAML / INI / headers), unquoted, to the end of the line
PLAIN_ASSIGN = re.compile(r"(?im)^([ \t]*[\w.\-]{0,40}?" + SECRET_WORDS + r"[\w.\-]{0,40}[ \t]*[:=][ \t]*)([^\s\"'#][^\n]*)$")
NOT_A_VALUE = re.compile(
    r"(?i)^(\d+|true|false|none|null|yes|no|\[REDACTED\]|\$.*|\{.*|<.*>|.*[(\[].*|[a-z_]\w*(\.[a-z_]\w*)+)$"
)
BEARER = re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)\s+)([^\s\"']+)")
E = TypeVar("E")


def _name_ok(name: str) -> bool:
    """True when a variable name looks like it holds a secret."""
    return bool(KEY_NAME.search(name)) and not NOT_SECRET_NAME.search(name)


def _value_ok(value: str, min_len: int) -> bool:
    """True when an assigned value looks like a literal secret (not a number, a reference or code)."""
    core = value.strip("\"'").strip()
    return len(core) >= min_len and not NOT_A_VALUE.match(core)


def _mask_assignments(text: str) -> str:
    """Mask the values of NAME=value, "name": "value" and name: value where the name says secret."""
    def env(m: re.Match[str]) -> str:
        return f"{m[1]}={MASK}" if _name_ok(m[1]) and _value_ok(m[2], 4) else m[0]

    def quoted(m: re.Match[str]) -> str:
        ok = _name_ok(m[1]) and _value_ok(m[4], 4) and " " not in m[4].strip()
        return f"{m[1]}{m[2]}{m[3]}{MASK}{m[3]}" if ok else m[0]

    def plain(m: re.Match[str]) -> str:
        name = re.split(r"\s*[:=]", m[1].strip())[0]
        ok = _name_ok(name) and _value_ok(m[2], 8) and " " not in m[2].strip()
        return f"{m[1]}{MASK}" if ok else m[0]

    text = ENV_ASSIGN.sub(env, text)
    text = QUOTED_ASSIGN.sub(quoted, text)
    return PLAIN_ASSIGN.sub(plain, text)


def _mask_pem(m: re.Match[str]) -> str:
    """A PEM block with its body masked; JSON-escaped text keeps escaped newlines (it stays valid JSON)."""
    sep = "\\n" if m[2].startswith("\\n") else "\n"
    return f"{m[1]}{sep}{MASK}{sep}{m[3]}"


def redact_text(text: str, values: list[str] | tuple[str, ...] = ()) -> str:
    """The text with known secret values and secret-shaped strings masked."""
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    if "PRIVATE KEY-----" in text:
        text = PEM.sub(_mask_pem, text)
    if AWS_ID.search(text) or "aws_secret" in text.lower():
        text = AWS_SECRET.sub(MASK, text)
    text = KEY_SHAPES.sub(MASK, text)
    text = BEARER.sub(lambda m: m[1] + MASK, text)
    if "://" in text:
        text = URL_PASSWORD.sub(lambda m: m[1] + MASK + m[3], text)
    if KEY_NAME.search(text):
        text = _mask_assignments(text)
    return text


@dataclass
class Redactor:
    """Replaces known secret values and key-shaped strings."""

    values: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> Redactor:
        """Collect secret-looking environment values (long enough to be keys; not paths)."""
        vals = [v for k, v in os.environ.items()
                if _name_ok(k) and len(v) >= 8 and not v.startswith(("/", "~")) and not v.isdigit()]
        return cls(values=sorted(set(vals), key=len, reverse=True))

    def redact(self, text: str) -> str:
        """The text with secrets masked."""
        return redact_text(text, self.values)

    def value(self, obj: Any) -> Any:
        """Any JSON-like value with every string (not dict keys) redacted."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, list):
            return [self.value(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.value(v) for v in obj)
        if isinstance(obj, dict):
            return {k: self.value(v) for k, v in obj.items()}
        return obj

    def event(self, event: E) -> E:
        """A copy of a dataclass event with every string field redacted (the same object when nothing changes)."""
        if not dataclasses.is_dataclass(event) or isinstance(event, type):
            return event
        changed = {}
        for f in dataclasses.fields(event):
            if not f.init:
                continue
            old = getattr(event, f.name)
            new = self.value(old)
            if new != old:
                changed[f.name] = new
        return dataclasses.replace(event, **changed) if changed else event  # type: ignore[type-var]


class StreamRedactor:
    """Redacts streamed text: holds back the unfinished line (and an unterminated PEM block) until complete."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._pending = ""

    def feed(self, text: str) -> str:
        """The part of the stream that is safe to show now, redacted."""
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        begin = self._pending.rfind("-----BEGIN")
        if begin != -1 and "-----END" not in self._pending[begin:]:
            cut = min(cut, begin)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self.redactor.redact(ready) if ready else ""

    def flush(self) -> str:
        """Whatever is held back, redacted."""
        ready, self._pending = self._pending, ""
        return self.redactor.redact(ready) if ready else ""
