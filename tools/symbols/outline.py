"""Outlines: a file's nested symbols with line ranges, or a compact map of a folder."""
from __future__ import annotations

from .index import SymbolIndex
from .tags import CONTAINERS, FUNCTIONS, Sym

MAX_FILE_ENTRIES = 300
MAX_FILE_CHARS = 16_000
FOLDER_BUDGET = 2_000  # characters, roughly 500 tokens
NAMES_PER_FILE = 12
MINOR = {"constant", "variable", "macro", "prototype"}


def _depth(syms: list[Sym], i: int) -> int:
    """Nesting depth of symbol i."""
    depth = 0
    while syms[i].parent >= 0:
        i = syms[i].parent
        depth += 1
    return depth


def _entry(syms: list[Sym], i: int, width: int, depth: int, members: int = 0) -> str:
    """One outline line: `start-end  <indent>signature  · kind`."""
    sym = syms[i]
    span = f"{sym.start_line}-{sym.end_line}"
    extra = f", {members} members" if members else ""
    return f"{span:>{width}}  {'  ' * depth}{sym.signature}  · {sym.kind}{extra}"


def file_outline(index: SymbolIndex, rel_path: str) -> str:
    """Nested outline of one file; a big file shows top-level symbols with member counts; capped."""
    entry = index.files.get(rel_path)
    syms = index.symbols(rel_path)
    head = f"{rel_path} ({entry[2] if entry else '?'}, {len(syms)} symbols)"
    if entry and entry[4]:
        head += f" [{entry[4]}]"
    if not syms:
        return head + "\n(no definitions found; use read_lines to view the file)"
    width = len(f"{syms[-1].end_line}") * 2 + 1
    depths = [_depth(syms, i) for i in range(len(syms))]
    lines = [_entry(syms, i, width, depths[i]) for i in range(len(syms))]
    note = ""
    if len(lines) > MAX_FILE_ENTRIES or sum(map(len, lines)) > MAX_FILE_CHARS:
        counts: dict[int, int] = {}
        for sym in syms:
            if sym.parent >= 0:
                counts[sym.parent] = counts.get(sym.parent, 0) + 1
        lines = [_entry(syms, i, width, 0, counts.get(i, 0)) for i in range(len(syms)) if depths[i] == 0]
        note = (f"[large file: members omitted. Use read_symbol('{rel_path}:Class', skeleton=true) "
                "to list one class's members.]")
    out, used = [head], len(head)
    for n, line in enumerate(lines):
        used += len(line) + 1
        if n >= MAX_FILE_ENTRIES or used > MAX_FILE_CHARS:
            out.append(f"[cut: {len(lines) - n} more entries (cap {MAX_FILE_ENTRIES} entries / {MAX_FILE_CHARS} "
                       "characters). Use read_lines or grep for the rest of the file.]")
            break
        out.append(line)
    return "\n".join(out + ([note] if note else []))


def _file_summary(syms: list[Sym]) -> str:
    """Top-level names of a file: containers with member counts, functions with ()."""
    members: dict[int, int] = {}
    for sym in syms:
        if sym.parent >= 0:
            members[sym.parent] = members.get(sym.parent, 0) + 1
    names = []
    for i, sym in enumerate(syms):
        if sym.parent >= 0 or sym.kind in MINOR:
            continue
        if sym.kind in CONTAINERS:
            names.append(f"{sym.name}({members.get(i, 0)})" if members.get(i) else sym.name)
        else:
            names.append(sym.name + "()" if sym.kind in FUNCTIONS else sym.name)
    if len(names) > NAMES_PER_FILE:
        names = names[:NAMES_PER_FILE] + [f"+{len(names) - NAMES_PER_FILE} more"]
    return ", ".join(names)


def _detail_lines(index: SymbolIndex, paths: list[str], prefix: str) -> list[str]:
    """One `file: names` line per path."""
    out = []
    for path in paths:
        summary = _file_summary(index.symbols(path)) or f"({index.files[path][4] or 'no definitions'})"
        out.append(f"{path[len(prefix):]}: {summary}")
    return out


def _count(index: SymbolIndex, paths: list[str]) -> int:
    """How many symbols these files define."""
    return sum(len(index.symbols(p)) for p in paths)


def _fit_files(index: SymbolIndex, paths: list[str], prefix: str, budget: int) -> tuple[list[str], int]:
    """`_fit` for detail lines, tagging files only until the budget is spent (a lazy view tags on demand)."""
    lines: list[str] = []
    used = 0
    for path in paths:
        line = _detail_lines(index, [path], prefix)[0]
        used += len(line) + 1
        if used > budget:
            break
        lines.append(line)
    return lines, len(paths) - len(lines)


def _fit(lines: list[str], budget: int) -> tuple[list[str], int]:
    """The longest prefix of lines within a character budget, and how many were dropped."""
    used = 0
    for n, line in enumerate(lines):
        used += len(line) + 1
        if used > budget:
            return lines[:n], len(lines) - n
    return lines, 0


def folder_outline(index: SymbolIndex, rel_dir: str, listed: list[str] | None = None) -> str:
    """A compact map of a folder within a character budget: files with top-level names, then subfolders.

    `listed` (no index yet): the folder's files; only those shown are tagged, so when the map cannot list
    every file, subfolders show file counts instead of symbol counts.
    """
    prefix = "" if rel_dir in ("", ".") else rel_dir.rstrip("/") + "/"
    paths = sorted(listed if listed is not None else (p for p in index.files if p.startswith(prefix)))
    if not paths:
        return f"{rel_dir}: no source files with symbol support here (use grep or list the folder)"
    partial = listed is not None and sum(len(p) - len(prefix) + 3 for p in paths) > FOLDER_BUDGET
    counted = "" if partial else f", {_count(index, paths)} symbols"
    head = (f"{prefix or './'} ({len(paths)} files{counted}; top-level names, "
            "Class(n) = n members, f() = function)")
    detail = [] if partial else _detail_lines(index, paths, prefix)
    if not partial and sum(len(line) + 1 for line in detail) <= FOLDER_BUDGET:
        return "\n".join([head, *detail])
    direct = [p for p in paths if "/" not in p[len(prefix):]]
    subs: dict[str, list[str]] = {}
    for p in paths:
        if "/" in p[len(prefix):]:
            subs.setdefault(p[len(prefix):].split("/")[0], []).append(p)
    sub_lines = [f"{name}/  ({len(ps)} files" + ("" if partial else f", {_count(index, ps)} symbols") + ")"
                 for name, ps in sorted(subs.items())]
    sub_lines, sub_cut = _fit(sub_lines, FOLDER_BUDGET // 2)
    files, file_cut = _fit_files(index, direct, prefix, FOLDER_BUDGET - sum(map(len, sub_lines)))
    lines = [head, *files, *sub_lines]
    if file_cut:  # a model cannot ask for a file it never saw: name them, without their symbols
        hidden = [p[len(prefix):] for p in direct[len(direct) - file_cut:]]
        lines.append("files not detailed: " + ", ".join(hidden))
    cut = []
    if file_cut:
        cut.append(f"{file_cut} files")
    if sub_cut:
        cut.append(f"{sub_cut} subfolders")
    lines.append(f"[cut to ~{FOLDER_BUDGET} characters: subfolders summarised"
                 + (f", {' and '.join(cut)} not shown" if cut else "")
                 + ". Narrow with outline('<subfolder>') or outline('<file>').]")
    return "\n".join(lines)
