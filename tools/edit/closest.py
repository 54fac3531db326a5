"""The "no match" message: the region of the file closest to the snippet, as a short diff."""
from __future__ import annotations

import difflib

MAX_FUZZY_LINES = 50_000
MAX_SHOWN = 30


def _candidates(file_lines: list[str], old_lines: list[str]) -> set[int]:
    """Window starts anchored on lines equal (or, for small files, similar) to a line of old."""
    keyed: dict[str, list[int]] = {}
    for k, line in enumerate(old_lines):
        if len(line.strip()) >= 3:
            keyed.setdefault(line.strip(), []).append(k)
    starts: set[int] = set()
    for idx, line in enumerate(file_lines):
        for k in keyed.get(line.strip(), ()):
            starts.add(idx - k)
    if starts or len(file_lines) > MAX_FUZZY_LINES:
        return starts
    stripped = [line.strip() for line in file_lines]
    probes = sorted(((len(s), k) for k, s in enumerate(line.strip() for line in old_lines) if s), reverse=True)[:3]
    unique = list(dict.fromkeys(stripped))
    for _, k in probes:
        for hit in difflib.get_close_matches(old_lines[k].strip(), unique, n=5, cutoff=0.5):
            starts.update(i - k for i, s in enumerate(stripped) if s == hit)
    return starts


def closest_region(text: str, old: str) -> tuple[int, int, float] | None:
    """(start line, end line, similarity) of the best window, 1-based; None when nothing is close."""
    file_lines = text.splitlines()
    old_lines = old.strip("\r\n").splitlines() or [old]
    n = len(old_lines)
    target = "\n".join(line.strip() for line in old_lines)
    best: tuple[float, int] | None = None
    for start in sorted(_candidates(file_lines, old_lines))[:500]:
        lo, hi = max(0, start), min(len(file_lines), start + n)
        if lo >= hi:
            continue
        window = "\n".join(line.strip() for line in file_lines[lo:hi])
        score = difflib.SequenceMatcher(None, window, target, autojunk=False).ratio()
        if best is None or score > best[0]:
            best = (score, lo)
    if best is None or best[0] < 0.3:
        return None
    lo = best[1]
    return lo + 1, min(len(file_lines), lo + n), best[0]


def no_match_message(text: str, old: str, shown: str) -> str:
    """Explain a failed match: closest region with line numbers and a short diff old -> file."""
    head = f"old not found in {shown}"
    region = closest_region(text, old)
    if region is None:
        return head + " (nothing similar either). Re-read the file (read_lines/read_symbol) and copy the text exactly."
    l1, l2, score = region
    file_lines = text.splitlines(keepends=True)[l1 - 1:l2]
    file_lines = [line.replace("\r\n", "\n") for line in file_lines]
    old_lines = old.replace("\r\n", "\n").splitlines(keepends=True)
    diff = list(difflib.unified_diff(old_lines, file_lines, "old", f"{shown} lines {l1}-{l2}", n=2))
    body = [line if line.endswith("\n") else line + "\n" for line in diff[:MAX_SHOWN]]
    more = f"… {len(diff) - MAX_SHOWN} more diff lines\n" if len(diff) > MAX_SHOWN else ""
    return (
        f"{head}. Closest region: lines {l1}-{l2} ({score:.0%} similar); diff from your old to the file:\n"
        + "".join(body) + more
        + "Copy the file's text exactly (re-read it if unsure) and retry."
    )
