"""Render a symbol's source with line numbers, whole or as a skeleton (bodies elided)."""
from __future__ import annotations

import os

from .index import SymbolIndex
from .tags import FUNCTIONS, Sym

MAX_LINES = 400  # a function longer than this is cut
BIG_CLASS = 250  # a container longer than this is shown as a skeleton unless asked otherwise
MAX_CHARS = 40_000


def file_lines(path: str) -> list[str]:
    """A file's lines decoded one by one (errors replaced), so numbering matches the bytes."""
    with open(path, "rb") as fh:
        data = fh.read()
    return [line.decode("utf-8", "replace").rstrip("\r") for line in data.split(b"\n")]


def number(lineno: int, text: str, width: int) -> str:
    """One output line: `  42| code`."""
    return f"{lineno:>{width}}| {text}"


def elided_ranges(syms: list[Sym], target: Sym) -> list[tuple[int, int]]:
    """Line ranges (inclusive) of function bodies inside `target` that a skeleton hides."""
    ranges: list[tuple[int, int]] = []
    for sym in sorted(syms, key=lambda s: s.start_byte):
        inside = target.start_byte <= sym.start_byte and sym.end_byte <= target.end_byte
        if not inside or sym.kind not in FUNCTIONS:
            continue
        if ranges and sym.start_line <= ranges[-1][1]:
            continue  # nested in a body already hidden
        if sym.head_end < sym.sig_line or sym.head_end >= sym.end_line:
            continue  # one-liner or no body
        last = sym.end_line - (1 if sym.tail else 0)
        if last > sym.head_end:
            ranges.append((sym.head_end + 1, last))
    return ranges


def render(lines: list[str], start: int, end: int, hidden: list[tuple[int, int]]) -> list[str]:
    """Numbered lines start..end with each hidden range replaced by one `...` line."""
    width = max(4, len(str(end)))
    out: list[str] = []
    hide = {a: b for a, b in hidden}
    n = start
    while n <= end:
        if n in hide:
            text = lines[n - 1] if n - 1 < len(lines) else ""
            indent = text[: len(text) - len(text.lstrip())]
            out.append(" " * width + f"| {indent}... ({hide[n] - n + 1} line{'s' if hide[n] > n else ''})")
            n = hide[n] + 1
            continue
        out.append(number(n, lines[n - 1] if n - 1 < len(lines) else "", width))
        n += 1
    return out


def read_symbol_text(index: SymbolIndex, rel_path: str, sym: Sym, skeleton: bool) -> tuple[str, int, int]:
    """(text for the model, first line, last line) for one symbol."""
    lines = file_lines(os.path.join(index.root, rel_path))
    start, end = sym.start_line, min(sym.end_line, len(lines))
    size = end - start + 1
    head = f"{rel_path}:{sym.qualname} ({sym.kind}, lines {start}-{end})"
    notes: list[str] = []
    hidden: list[tuple[int, int]] = []
    has_members = any(s.parent >= 0 and sym.start_byte <= s.start_byte and s.end_byte <= sym.end_byte
                      and s.kind in FUNCTIONS for s in index.symbols(rel_path))
    if skeleton or (size > BIG_CLASS and sym.kind not in FUNCTIONS and has_members):
        hidden = elided_ranges(index.symbols(rel_path), sym)
        if not skeleton:
            notes.append(f"[{sym.kind} is {size} lines: showing a skeleton (bodies elided). Read one member "
                         f"with read_symbol('{rel_path}:{sym.qualname}.<member>').]")
    body = render(lines, start, end, hidden)
    if len(body) > MAX_LINES:
        cut = len(body) - MAX_LINES
        body = body[:MAX_LINES]
        notes.append(f"[cut: {cut} more lines not shown (cap {MAX_LINES} lines). Use read_lines('{rel_path}', "
                     f"start, end) for the rest, or skeleton=true for an overview.]")
    text = "\n".join([head, *body, *notes])
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS] + f"\n[cut at {MAX_CHARS} characters; use read_lines for the rest]"
    return text, start, end
