"""Indentation arithmetic: compare blocks up to a uniform shift and re-indent replacement text."""
from __future__ import annotations

import math

TAB = 4


def leading(line: str) -> str:
    """The leading spaces/tabs of a line."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_width(line: str) -> int:
    """Width of a line's indentation, tabs counted as 4 columns."""
    return len(leading(line).expandtabs(TAB))


def _profile(lines: list[str]) -> tuple[int, int, list[int]]:
    """(minimum width, unit, relative widths) over the non-blank lines."""
    widths = [indent_width(line) for line in lines if line.strip()]
    if not widths:
        return 0, 0, []
    low = min(widths)
    rel = [w - low for w in widths]
    unit = 0
    for r in rel:
        unit = math.gcd(unit, r)
    return low, unit, rel


def _uses_tabs(lines: list[str]) -> bool:
    """Whether any non-blank line is indented with a tab."""
    return any("\t" in leading(line) for line in lines if line.strip())


def block_levels_match(block: list[str], old_lines: list[str]) -> bool:
    """Same indent characters: a uniform shift only; tabs vs spaces: the same nesting levels."""
    _, unit_b, rel_b = _profile(block)
    _, unit_o, rel_o = _profile(old_lines)
    if len(rel_b) != len(rel_o):
        return False
    if _uses_tabs(block) == _uses_tabs(old_lines):
        return rel_b == rel_o
    if not unit_b or not unit_o:
        return unit_b == unit_o
    return all(b * unit_o == o * unit_b for b, o in zip(rel_b, rel_o))


def _file_unit(text: str, uses_tabs: bool) -> int:
    """The indentation unit of a file, guessed from its first few thousand lines."""
    if uses_tabs:
        return TAB
    unit = 0
    for line in text[:200_000].splitlines():
        w = indent_width(line) if line.strip() else 0
        if w:
            unit = math.gcd(unit, w)
    return unit if unit >= 2 else 4


def reindent(new: str, old_lines: list[str], block: list[str], text: str) -> str:
    """Re-indent `new` (written in old's frame) into the frame of the matched file block."""
    old_low, unit_o, _ = _profile(old_lines)
    blk_low, unit_b, _ = _profile(block)
    uses_tabs = _uses_tabs(block)
    new_lines = new.split("\n")
    if not unit_o:
        _, unit_o, _ = _profile([line for line in new_lines])
        unit_o = unit_o or 4
    if not unit_b:
        unit_b = _file_unit(text, uses_tabs)
    out = []
    for line in new_lines:
        if not line.strip():
            out.append(line.lstrip(" \t"))
            continue
        rel = indent_width(line) - old_low
        target = max(0, blk_low + round(rel * unit_b / unit_o))
        pad = "\t" * (target // TAB) + " " * (target % TAB) if uses_tabs else " " * target
        out.append(pad + line.lstrip(" \t"))
    return "\n".join(out)
