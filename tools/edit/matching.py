"""Layered snippet matching: exact, then a few strictly limited normalisations, never fuzzier."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools.edit.closest import no_match_message
from tools.edit.reindent import block_levels_match, indent_width, reindent

PUNCT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
})
NOTES = {
    "exact": "",
    "trailing-whitespace": "matched after ignoring trailing whitespace",
    "line-endings": "matched after normalising line endings",
    "indentation": "matched after normalising indentation",
    "unicode": "matched after normalising Unicode punctuation (quotes, dashes)",
}
MAX_CANDIDATES = 10


@dataclass
class Match:
    """Where `old` matched and what replaces each span (start, end, replacement)."""

    layer: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def _exact(text: str, old: str, new: str) -> list[tuple[int, int, str]]:
    """All non-overlapping exact occurrences."""
    spans, pos = [], text.find(old)
    while pos != -1:
        spans.append((pos, pos + len(old), new))
        pos = text.find(old, pos + len(old))
    return spans


def _pattern(old: str, any_eol: bool) -> re.Pattern[str]:
    """Regex for `old` ignoring trailing spaces/tabs (and, if any_eol, the kind of line ending)."""
    pieces = re.split(r"\r\n|\n|\r", old) if any_eol else old.split("\n")
    brk = r"(?:\r\n|\n|\r)" if any_eol else r"\n"
    parts: list[str] = []
    for i, piece in enumerate(pieces):
        parts.append(re.escape(piece.rstrip(" \t")))
        if i == len(pieces) - 1:
            break
        parts.append(r"[ \t]*")
        final = i == len(pieces) - 2 and pieces[-1] == ""
        parts.append(f"(?:{brk}|\\Z)" if final else brk)
    return re.compile("".join(parts))


def _regex(text: str, old: str, new: str, any_eol: bool) -> list[tuple[int, int, str]]:
    """Matches of the whitespace/line-ending tolerant pattern."""
    return [(m.start(), m.end(), new) for m in _pattern(old, any_eol).finditer(text) if m.end() > m.start()]


def _split_block(old: str) -> tuple[list[str], bool]:
    """Lines of a snippet without line ending characters, and whether it ended with a newline."""
    ends = old.endswith(("\n", "\r"))
    lines = re.split(r"\r\n|\n|\r", old)
    if ends:
        lines.pop()
    return lines, ends


def _indented(text: str, old: str, new: str) -> list[tuple[int, int, str]]:
    """Whole-line matches whose content is equal and whose indentation differs only by a uniform shift."""
    old_lines, ends = _split_block(old)
    keys = [line.strip() for line in old_lines]
    first = next((i for i, k in enumerate(keys) if k), None)
    if first is None:
        return []
    file_lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in file_lines:
        offsets.append(offsets[-1] + len(line))
    n, spans, i = len(old_lines), [], 0
    while i + n <= len(file_lines):
        if file_lines[i + first].strip() != keys[first] or any(
            file_lines[i + k].strip() != keys[k] for k in range(n)
        ):
            i += 1
            continue
        block = [line.rstrip("\r\n") for line in file_lines[i:i + n]]
        if not block_levels_match(block, old_lines):
            i += 1
            continue
        end = offsets[i + n] if ends else offsets[i + n - 1] + len(block[-1])
        spans.append((offsets[i], end, reindent(new, old_lines, block, text)))
        i += n
    return spans


def _layers(text: str, old: str, new: str) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Run the layers in order, lazily, yielding the first that finds anything."""
    if not old.strip():
        return [("exact", _exact(text, old, new))]
    steps = [
        ("exact", lambda t, o: _exact(t, o, new)),
        ("trailing-whitespace", lambda t, o: _regex(t, o, new, any_eol=False)),
        ("line-endings", lambda t, o: _regex(t, o, new, any_eol=True)),
        ("indentation", lambda t, o: _indented(t, o, new)),
    ]
    for name, step in steps:
        spans = step(text, old)
        if spans:
            return [(name, spans)]
    old_n = old.translate(PUNCT)
    if old_n != old or any(ch in text for ch in PUNCT_CHARS):
        text_n = text.translate(PUNCT)
        for _name, step in steps:
            spans = step(text_n, old_n)
            if spans:
                return [("unicode", spans)]
    return []


PUNCT_CHARS = [chr(c) for c in PUNCT]


def find(text: str, old: str, new: str) -> Match | None:
    """The first layer that matches `old` in `text`, with the replacement for each span."""
    found = _layers(text, old, new)
    if not found:
        return None
    layer, spans = found[0]
    fixed = []
    for start, end, repl in spans:
        at_eof_without_newline = end == len(text) and not text.endswith(("\n", "\r"))
        if at_eof_without_newline and old.endswith("\n") and repl.endswith("\n"):
            repl = repl[:-2] if repl.endswith("\r\n") else repl[:-1]
        fixed.append((start, end, repl))
    return Match(layer, fixed)


def apply(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace each span (non-overlapping, ascending) with its replacement."""
    out, pos = [], 0
    for start, end, repl in spans:
        out.append(text[pos:start])
        out.append(repl)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def describe_candidates(text: str, spans: list[tuple[int, int, str]]) -> str:
    """One line per candidate: line range and the first line of the matched text."""
    rows = []
    for start, end, _ in spans[:MAX_CANDIDATES]:
        l1, l2 = line_of(text, start), line_of(text, max(start, end - 1))
        first = text[start:end].strip().splitlines()[0] if text[start:end].strip() else ""
        rng = f"line {l1}" if l1 == l2 else f"lines {l1}-{l2}"
        rows.append(f"  {rng}: {first[:100]}")
    if len(spans) > MAX_CANDIDATES:
        rows.append(f"  … and {len(spans) - MAX_CANDIDATES} more")
    return "\n".join(rows)


__all__ = ["Match", "find", "apply", "describe_candidates", "line_of", "NOTES", "indent_width", "no_match_message"]
