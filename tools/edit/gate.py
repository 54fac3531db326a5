"""Syntax gate: an edit that adds tree-sitter parse errors is rejected (or flagged)."""
from __future__ import annotations

from pathlib import Path

from tools.base import ToolError
from tools.languages import error_nodes, language_for

MAX_GATE_BYTES = 8 * 1024 * 1024
SHOWN = 5


def new_errors(path: Path, before: bytes | None, after: bytes) -> str:
    """A description of parse errors the edit adds ("" when none, no grammar, or file too large)."""
    lang = language_for(path)
    if lang is None or len(after) > MAX_GATE_BYTES:
        return ""
    try:
        after_errs = error_nodes(lang, after)
        before_errs = error_nodes(lang, before) if before else []
    except Exception:  # a grammar failing to load must never block an edit
        return ""
    if len(after_errs) <= len(before_errs):
        return ""
    lines = after.decode("utf-8", errors="replace").splitlines()
    rows = []
    for line, col in after_errs[:SHOWN]:
        src = lines[line - 1].rstrip() if 0 < line <= len(lines) else ""
        rows.append(f"  line {line}, col {col + 1}: {src[:120]}")
    more = f"\n  … {len(after_errs) - SHOWN} more" if len(after_errs) > SHOWN else ""
    return (
        f"the edit would add {lang} syntax errors ({len(before_errs)} before, {len(after_errs)} after):\n"
        + "\n".join(rows) + more
    )


def check(path: Path, shown: str, before: bytes | None, after: bytes, mode: str) -> str:
    """Apply the gate policy: raise ToolError for "reject", return a warning for "warn", "" otherwise."""
    if mode == "off":
        return ""
    problem = new_errors(path, before, after)
    if not problem:
        return ""
    if mode == "warn":
        return f"warning: {shown}: applied, but {problem.replace('would add', 'adds', 1)}"
    raise ToolError(f"{shown} not changed: {problem}\nFix the snippet and retry.")
