"""References: ripgrep word matches confirmed as identifier nodes by tree-sitter, grouped by file."""
from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

from tools.base import ToolError
from tools.languages import language_for, parser_for
from tools.rg import rg_path

from .index import SymbolIndex
from .scan import MAX_BYTES
from .tags import Sym, refine_language

MAX_HITS = 60
PER_FILE = 10
MAX_FILES_PARSED = 300
MAX_CANDIDATES = 5_000
IDENTIFIER_TYPES = {"constant", "name", "shorthand_property_identifier", "shorthand_property_identifier_pattern",
                    "destructor_name", "operator_name"}
_NAME = re.compile(r"^[A-Za-z_$~][\w$]*$")


def candidates(root: str, name: str) -> tuple[dict[str, list[tuple[int, int, str]]], bool]:
    """rg --json -w matches: path -> [(line, absolute byte offset, line text)]; and whether capped."""
    cmd = [rg_path(), "--json", "-w", "-F", "--no-messages", "--no-require-git", "--max-filesize", "1M",
           "--", name]
    found: dict[str, list[tuple[int, int, str]]] = {}
    count = 0
    with subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            if not raw.startswith(b'{"type":"match"'):
                continue
            count += _add_match(found, json.loads(raw)["data"])
            if count >= MAX_CANDIDATES:
                proc.kill()  # stop a very common name early; what was read is kept
                return found, True
    return found, False


def _add_match(found: dict[str, list[tuple[int, int, str]]], data: dict) -> int:
    """Record one rg match line's submatches; returns how many were added."""
    path = data["path"].get("text")
    if path is None:
        return 0
    text = data["lines"].get("text", "")
    hits = found.setdefault(path.replace(os.sep, "/"), [])
    for sub in data["submatches"]:
        hits.append((data["line_number"], data["absolute_offset"] + sub["start"], text))
    return len(data["submatches"])


def _is_identifier(node: Any) -> bool:
    """Whether a node is an identifier-like leaf (not a string or comment)."""
    return "identifier" in node.type or node.type in IDENTIFIER_TYPES


def enclosing(syms: list[Sym], line: int) -> Sym | None:
    """The innermost symbol whose range contains a line."""
    best = None
    for sym in syms:
        if sym.start_line <= line <= sym.end_line and (best is None or sym.start_byte >= best.start_byte):
            best = sym
    return best


def confirm(root: str, path: str, name: str, hits: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """The (line, text) hits that are identifier nodes named `name`, one per line."""
    with open(os.path.join(root, path), "rb") as fh:
        source = fh.read()
    lang = refine_language(language_for(path) or "", path, source)
    tree = parser_for(lang).parse(source)
    size = len(name.encode())
    kept = []
    for line, offset, text in hits:
        node = tree.root_node.descendant_for_byte_range(offset, offset + size)
        exact = node is not None and node.start_byte == offset and node.end_byte == offset + size
        if exact and _is_identifier(node) and (not kept or kept[-1][0] != line):
            kept.append((line, text.rstrip("\r\n")))
    return kept


def find_references_text(index: SymbolIndex, name: str) -> str:
    """The model-facing listing of references to `name`."""
    name = name.strip()
    if ":" in name.replace("::", ""):  # `path/file.py:Class.name`: references are found repo-wide by name
        name = name.rsplit(":", 1)[1]
    name = name.replace("::", ".").split(".")[-1].removesuffix("()")
    if not _NAME.match(name):
        raise ToolError(f"'{name}': give one identifier (e.g. `save` or `Model.save`); use grep for text patterns")
    ensure = getattr(index, "ensure", None)
    if ensure is not None:  # a lazy view: tag the files that may define the name (for the count of homes)
        ensure(name)
    root = str(index.root)
    found, capped = candidates(root, name)
    coded = {p: h for p, h in found.items() if language_for(p)}
    other = sorted(set(found) - set(coded))
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    dropped = 0
    parsed = 0
    for path in sorted(coded):
        if parsed >= MAX_FILES_PARSED or os.path.getsize(os.path.join(root, path)) > MAX_BYTES:
            continue
        parsed += 1
        kept = confirm(root, path, name, coded[path])
        dropped += len(coded[path]) - len(kept)
        if kept:
            groups.append((path, kept))
    return _format(index, name, groups, dropped, other, capped, len(coded) - parsed)


def _format(index: SymbolIndex, name: str, groups: list[tuple[str, list[tuple[int, str]]]], dropped: int,
            other: list[str], capped: bool, unparsed: int) -> str:
    """Group confirmed hits by file with the enclosing symbol; cap at MAX_HITS lines."""
    total = sum(len(h) for _, h in groups)
    out = [f"{total} lines referencing '{name}' in {len(groups)} files"
           f" ({dropped} text matches in strings/comments dropped)"]
    shown = 0
    for path, hits in groups:
        if shown >= MAX_HITS:
            break
        syms = index.symbols(path)
        out.append(path)
        width = max(4, len(str(hits[-1][0])))
        for line, text in hits[: min(PER_FILE, MAX_HITS - shown)]:
            sym = enclosing(syms, line)
            is_def = sym is not None and sym.name == name and sym.sig_line == line
            where = "  [definition]" if is_def else (f"  (in {sym.qualname})" if sym else "  (module level)")
            out.append(f"{line:>{width}}| {text.strip()[:160]}{where}")
            shown += 1
        if len(hits) > PER_FILE:
            out.append(f"{'':>{width}}  ... {len(hits) - PER_FILE} more in this file")
    notes = []
    if total > shown:
        notes.append(f"{total - shown} more references not shown (cap {MAX_HITS}, {PER_FILE} per file)")
    if capped:
        notes.append(f"search stopped at {MAX_CANDIDATES} text matches")
    if unparsed:
        notes.append(f"{unparsed} files not checked (over {MAX_FILES_PARSED} files or > 1 MB)")
    if other:
        notes.append(f"unconfirmed text matches in {len(other)} files without a grammar: {', '.join(other[:5])}"
                     + (" ..." if len(other) > 5 else ""))
    homes = len(index.homes(name))
    if homes > 1:
        notes.append(f"'{name}' is defined in {homes} places (find_definitions lists them); a hit may refer to any")
    if notes:
        out.append("[" + "; ".join(notes) + ". Narrow with grep(pattern, path glob) or read_symbol on a caller.]")
    return "\n".join(out)
