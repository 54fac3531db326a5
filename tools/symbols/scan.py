"""Tag files for the index: list the tree as ripgrep does, read and tag one file, tell which entries are stale."""
from __future__ import annotations

import gc
import os
import stat
import subprocess
import time
from pathlib import Path

from tools.languages import language_for
from tools.paths import is_binary
from tools.rg import rg_path

from .tags import extract, refine_language

MAX_BYTES = 1_000_000
MAX_LINE = 5_000
IGNORE_FILES = {".gitignore", ".ignore", ".rgignore", ".git/info/exclude"}  # watched like folders
RACY_NS = 2_000_000_000  # a file modified this close to its scan is checked again (mtime ticks are coarse)
# rel path -> (size, mtime_ns, lang, symbols as plain tuples or None, note, scanned at ns)
Entry = tuple[int, int, str, list[tuple] | None, str, int]


def list_files(root: Path) -> tuple[list[str], dict[str, int]]:
    """Files ripgrep would search (respects .gitignore) with a grammar, and the mtimes of their folders.

    A file added to or removed from a watched folder changes that folder's mtime, so a warm refresh
    only stats those folders and the indexed files instead of listing the tree again.
    """
    proc = subprocess.run([rg_path(), "--files", "--no-messages", "--no-require-git"], cwd=root,
                          capture_output=True, check=False)
    names = [n.replace(os.sep, "/") for n in proc.stdout.decode("utf-8", "surrogateescape").splitlines()]
    names = [n for n in names if language_for(n)]
    dirs = {""}
    for name in names:
        folder = name.rpartition("/")[0]
        while folder not in dirs:
            dirs.add(folder)
            folder = folder.rpartition("/")[0]
    return sorted(names), _dir_mtimes(root, dirs | IGNORE_FILES)


def _dir_mtimes(root: Path, dirs: set[str] | dict[str, int]) -> dict[str, int]:
    """mtime_ns of each folder (relative to root); -1 when it is gone."""
    out = {}
    for folder in dirs:
        try:
            out[folder] = os.stat(os.path.join(root, folder)).st_mtime_ns
        except OSError:
            out[folder] = -1
    return out


def scan_file(root: str, rel: str, lang: str) -> tuple[str, Entry]:
    """Read and tag one file; never raises (problems become the entry's note)."""
    path = os.path.join(root, rel)
    now = time.time_ns()
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device: opening it could block forever
            return rel, (0, st.st_mtime_ns, lang, None, "not a regular file", now)
        if st.st_size > MAX_BYTES:
            return rel, (st.st_size, st.st_mtime_ns, lang, None, "too large (>1 MB)", now)
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return rel, (0, 0, lang, None, f"unreadable: {exc.strerror}", now)
    if is_binary(data):
        return rel, (st.st_size, st.st_mtime_ns, lang, None, "binary", now)
    if data and max(map(len, data.split(b"\n"))) > MAX_LINE:
        return rel, (st.st_size, st.st_mtime_ns, lang, None, "minified (very long lines)", now)
    lang = refine_language(lang, rel, data)
    syms, has_error = extract(lang, data)
    note = "syntax errors (outline may be partial)" if has_error else ""
    return rel, (st.st_size, st.st_mtime_ns, lang, [tuple(s) for s in syms], note, now)


def scan_chunk(root: str, items: list[tuple[str, str]]) -> list[tuple[str, Entry]]:
    """Worker entry point: tag a chunk of files."""
    gc.disable()  # a worker only makes short-lived, acyclic tuples: collection passes are wasted work
    return [scan_file(root, rel, lang) for rel, lang in items]


def changed(root: str, rel: str, entry: Entry | None) -> bool:
    """Whether a file differs (size or mtime) from an entry, or was scanned too soon after a change."""
    try:
        st = os.stat(os.path.join(root, rel))
    except OSError:
        return entry is not None
    if entry is None or entry[0] != st.st_size or entry[1] != st.st_mtime_ns:
        return True
    return st.st_mtime_ns > entry[5] - RACY_NS  # modified just before its scan: same size+mtime may hide an edit


def stale_files(root: str, files: dict[str, Entry], rels: list[str]) -> list[str]:
    """The files among `rels` that `changed` (the same test, in one tight loop: this is every lookup's check)."""
    prefix, stat_of, out = root + os.sep, os.stat, []
    for rel in rels:
        entry = files.get(rel)
        try:
            st = stat_of(prefix + rel)
        except OSError:
            if entry is not None:
                out.append(rel)
            continue
        if (entry is None or entry[0] != st.st_size or entry[1] != st.st_mtime_ns
                or st.st_mtime_ns > entry[5] - RACY_NS):
            out.append(rel)
    return out


def _size(root: Path, rel: str) -> int:
    """A file's size, 0 when it cannot be read."""
    try:
        return os.stat(os.path.join(root, rel)).st_size
    except OSError:
        return 0
