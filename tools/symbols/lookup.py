"""Resolve a symbol address (`path:Class.method`, `Class.method`, `function`) through the index."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tools.base import ToolError
from tools.languages import language_for
from tools.paths import rel, resolve

from .candidates import keyword_names
from .index import SymbolIndex
from .lazy import LazyView, view
from .tags import SECONDARY, Sym

MAX_CANDIDATES = 20
_ADDRESS = re.compile(r"^(?P<path>[^:]+):(?!:)(?P<sym>.+)$")


@dataclass
class SymbolLocation:
    """Where one symbol lives; the range includes decorators/attributes; lines are 1-based."""

    path: Path
    name: str
    kind: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int


def split_address(root: Path, symbol: str) -> tuple[str | None, str]:
    """(relative path or None, dotted symbol) for an address; checks the path part exists."""
    symbol = symbol.strip()
    if not symbol:
        raise ToolError("empty symbol: give `path/to/file.py:Class.method`, `Class.method` or `function`")
    match = _ADDRESS.match(symbol)
    path_part = None
    if match:
        path_part, symbol = match.group("path"), match.group("sym")
    dotted = re.sub(r"\(\)$", "", symbol.strip()).replace("::", ".").replace("#", ".").strip(".")
    if path_part is None:
        return None, dotted
    full = resolve(root, path_part)
    if full.is_dir():
        raise ToolError(f"{path_part}: is a directory; use outline('{path_part}') to list its symbols")
    if not full.exists():
        raise ToolError(f"{path_part}: no such file; use find_definitions('{dotted.split('.')[-1]}') "
                        "to locate the symbol")
    if language_for(full) is None:
        raise ToolError(f"{path_part}: no symbol support for this file type; use grep or read_lines")
    return rel(root, full), dotted


def _matches_dotted(sym: Sym, dotted: str) -> bool:
    """Whether a symbol's qualified name is `dotted` or ends with `.dotted`."""
    return sym.qualname == dotted or sym.qualname.endswith("." + dotted)


def find(index: SymbolIndex, rel_path: str | None, dotted: str) -> list[tuple[str, Sym]]:
    """Symbols matching an address, preferring primary kinds (not impl blocks or prototypes)."""
    last = dotted.rsplit(".", 1)[-1]
    if rel_path is not None:
        index.refresh_file(rel_path)
        found = [(rel_path, s) for s in index.symbols(rel_path) if s.name == last and _matches_dotted(s, dotted)]
    else:
        paths = sorted({p for p, _ in index.homes(last)})
        found = [(p, s) for p in paths for s in index.symbols(p) if s.name == last and _matches_dotted(s, dotted)]
    primary = [(p, s) for p, s in found if s.kind not in SECONDARY] or found
    outer = [(p, s) for p, s in primary if not _inside_another(s, p, primary)]
    if rel_path is not None:
        exact = [(p, s) for p, s in outer if s.qualname == dotted]
        outer = exact if len(exact) == 1 else outer
    return sorted(outer, key=rank)


def _inside_another(sym: Sym, path: str, found: list[tuple[str, Sym]]) -> bool:
    """Whether another candidate in the same file encloses `sym` (a Java constructor in its class)."""
    return any(p == path and o is not sym and o.start_byte <= sym.start_byte and sym.end_byte <= o.end_byte
               and (o.start_byte, o.end_byte) != (sym.start_byte, sym.end_byte) for p, o in found)


def rank(hit: tuple[str, Sym]) -> tuple:
    """Order candidates: primary kinds, outer definitions, non-test paths first."""
    path, sym = hit
    testy = "test" in path.lower()
    return (sym.kind in SECONDARY, sym.qualname.count("."), testy, path, sym.start_line)


def merge_overloads(found: list[tuple[str, Sym]]) -> tuple[str, Sym] | None:
    """One span when every match is the same name in one file (overloads, property setters)."""
    if not found:
        return None
    paths = {p for p, _ in found}
    names = {(s.qualname, s.parent) for _, s in found}
    if len(paths) != 1 or len(names) != 1:
        return None if len(found) > 1 else found[0]
    first = min((s for _, s in found), key=lambda s: s.start_byte)
    last = max((s for _, s in found), key=lambda s: s.end_byte)
    return found[0][0], first._replace(end_line=last.end_line, end_byte=last.end_byte)


def ambiguity(dotted: str, found: list[tuple[str, Sym]]) -> str:
    """The message listing candidates for an ambiguous address."""
    lines = [f"'{dotted}' is ambiguous: {len(found)} definitions. Address one as path:Qualified.name:"]
    for path, sym in found[:MAX_CANDIDATES]:
        lines.append(f"  {path}:{sym.qualname}  ({sym.kind}, line {sym.sig_line})")
    if len(found) > MAX_CANDIDATES:
        lines.append(f"  ... {len(found) - MAX_CANDIDATES} more not shown; add the path to narrow")
    return "\n".join(lines)


def _owner_pool(index: SymbolIndex, dotted: str) -> dict[str, str]:
    """Qualified names of the members of `Owner` for an address `Owner.member` (for close-name hints)."""
    if "." not in dotted:
        return {}
    owner = dotted.rsplit(".", 1)[0]
    if isinstance(index, LazyView):
        index.ensure(owner.rsplit(".", 1)[-1])
    pool: dict[str, str] = {}
    for path, i in index.homes(owner.rsplit(".", 1)[-1]):
        qual = index.symbols(path)[i].qualname
        if qual == owner or qual.endswith("." + owner):
            cut = len(qual) - len(owner)
            for sym in index.symbols(path):
                if sym.qualname.startswith(qual + "."):
                    pool[sym.qualname[cut:]] = f"{path}:{sym.qualname}"
    return pool


def not_found(index: SymbolIndex, rel_path: str | None, dotted: str) -> str:
    """The message for a missing symbol, with close names from the file or the whole index."""
    last = dotted.rsplit(".", 1)[-1]
    where = f" in {rel_path}" if rel_path else ""
    if rel_path is not None:
        entry = index.files.get(rel_path)
        if entry is not None and entry[3] is None:
            return f"{rel_path}: not indexed ({entry[4]}); use grep or read_lines"
        pool = {s.qualname: f"{rel_path}:{s.qualname}" for s in index.symbols(rel_path)}
        pool.update({s.name: f"{rel_path}:{s.qualname}" for s in index.symbols(rel_path)})
    else:
        pool = _owner_pool(index, dotted) or {name: "" for name in index.by_name()}
        if isinstance(index, LazyView) and not any(pool.values()):  # no index yet: names after keywords
            pool.update({name: "" for name in keyword_names(str(index.root)) if name not in pool})
    key = dotted if rel_path or "." in dotted and any(pool.values()) else last
    import difflib  # only a miss needs it

    close = difflib.get_close_matches(key, list(pool), n=8, cutoff=0.6)
    msg = f"no symbol '{dotted}'{where}."
    if not close and rel_path is not None and 0 < len(index.symbols(rel_path)) <= 12:
        names = ", ".join(s.qualname for s in index.symbols(rel_path))
        return msg + f" It defines: {names}."
    if not close:
        return msg + " Use outline(path) to list a file's symbols, or grep to search text."
    shown = []
    if isinstance(index, LazyView):
        index.ensure(*(name for name in close if not pool[name]))
    for name in close:
        if pool[name]:
            shown.append(pool[name])
            continue
        if name in index.by_name():
            path, i = index.by_name()[name][0]
            shown.append(f"{path}:{index.symbols(path)[i].qualname}")
    if not shown:
        return msg + " Use outline(path) to list a file's symbols, or grep to search text."
    return msg + " Close names: " + ", ".join(dict.fromkeys(shown))


def lookup(root: Path, symbol: str, cache_dir: Path | None = None) -> tuple[str, Sym, SymbolIndex]:
    """(relative path, symbol, index) for an address; ToolError when ambiguous or missing."""
    rel_path, dotted = split_address(root, symbol)
    index = view(root, cache_dir, one_file=rel_path is not None)
    if rel_path is None and isinstance(index, LazyView):
        index.ensure(dotted.rsplit(".", 1)[-1])
    found = find(index, rel_path, dotted)
    if not found:
        raise ToolError(not_found(index, rel_path, dotted))
    one = merge_overloads(found)
    if one is None:
        raise ToolError(ambiguity(dotted, found))
    return one[0], one[1], index


def locate(root: Path, symbol: str, cache_dir: Path | None = None) -> SymbolLocation:
    """Where a symbol is defined (range includes decorators); raises ToolError with candidates or close names."""
    rel_path, sym, index = lookup(root, symbol, cache_dir)
    return SymbolLocation(Path(os.path.join(index.root, rel_path)), sym.qualname, sym.kind,
                          sym.start_line, sym.end_line, sym.start_byte, sym.end_byte)
