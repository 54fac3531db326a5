"""Unified diffs with line numbers, fast on huge files (common prefix/suffix trimmed first)."""
from __future__ import annotations

import difflib

MAX_DIFF_LINES = 400


def _lines(text: str) -> list[str]:
    """Split keeping ends, with CR stripped for display."""
    return [line.replace("\r", "") if line.endswith("\r\n") else line for line in text.splitlines(keepends=True)]


def _range(start: int, length: int) -> str:
    """Hunk header range in unified format."""
    if length == 1:
        return f"{start + 1}"
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def unified_diff(before: str, after: str, path: str, context: int = 3) -> str:
    """A unified diff of before -> after with `@@ -l,n +l,n @@` hunk headers; "" when equal."""
    a, b = _lines(before), _lines(after)
    pre = 0
    limit = min(len(a), len(b))
    while pre < limit and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < limit - pre and a[len(a) - 1 - suf] == b[len(b) - 1 - suf]:
        suf += 1
    lo = max(0, pre - context)
    a_mid, b_mid = a[lo:len(a) - max(0, suf - context)], b[lo:len(b) - max(0, suf - context)]
    if a_mid == b_mid:
        return ""
    out = [f"--- a/{path}\n" if before else "--- /dev/null\n", f"+++ b/{path}\n"]
    matcher = difflib.SequenceMatcher(None, a_mid, b_mid, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_range(lo + i1, i2 - i1)} +{_range(lo + j1, j2 - j1)} @@\n")
        for tag, ai1, ai2, bj1, bj2 in group:
            if tag == "equal":
                out.extend(" " + line for line in a_mid[ai1:ai2])
                continue
            out.extend("-" + line for line in a_mid[ai1:ai2])
            out.extend("+" + line for line in b_mid[bj1:bj2])
    fixed = [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out]
    return "".join(fixed)


def counts(diff: str) -> tuple[int, int]:
    """(added, removed) line counts of a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def cap(diff: str, limit: int = MAX_DIFF_LINES) -> str:
    """Trim a diff for the model, saying how much was left out."""
    lines = diff.splitlines(keepends=True)
    if len(lines) <= limit:
        return diff
    return "".join(lines[:limit]) + f"… diff truncated: {len(lines) - limit} more lines\n"


def changed_region(before: str, after: str) -> tuple[int, int]:
    """1-based (start, end) lines of `after` that differ from `before`."""
    a, b = before.splitlines(), after.splitlines()
    pre = 0
    while pre < min(len(a), len(b)) and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < min(len(a), len(b)) - pre and a[-1 - suf] == b[-1 - suf]:
        suf += 1
    return pre + 1, max(pre + 1, len(b) - suf)
