"""Answers before the index exists: ripgrep narrows, tree-sitter confirms, the full index fills in behind.

`view()` gives the shared index when it is complete and fresh (a cheap stat check), else a `LazyView`:
entries only for the files a query needs, taken from the index or a per-process cache when still
fresh, else tagged now. Both give the same answers; the lazy one never waits for a build.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from tools.languages import language_for
from tools.rg import rg_path

from .candidates import iter_definition_files
from .index import (_INDEXES, POOL_MIN_FILES, Entry, Progress, SymbolIndex, _dir_mtimes, changed, get_index,
                    scan_file)
from .tags import Sym

QUICK_SCAN = 20  # a complete index with at most this many changed files is refreshed in place
# Back-to-back lookups stat only the folders (new and removed files), not every file (~20 ms on django),
# for this long; edits re-tag their file at once (note_edit) and each answer's own files are re-checked.
FRESH_SECONDS = 2.0
_CACHE: dict[str, dict[str, Entry]] = {}  # root -> files tagged by lazy lookups (validated by stat)
_CACHE_GUARD = threading.Lock()
# id(shared index) -> (its background builder, progress hook, min_total): only sessions start builders
_BUILDERS: dict[int, tuple[threading.Thread, Progress | None, int]] = {}
_SAVES: dict[int, threading.Timer] = {}  # id(shared index) -> its pending store after edits
EDIT_WAIT = 0.2  # seconds an edit waits for a store in progress (a build holds the index far longer)
SAVE_DELAY = 1.0  # edits within this time are stored together
# A process with no builder (`pith tool`) does not read a stored index bigger than this for one query:
# measured, loading grpcio's 23 MB costs more than the lazy path (461 vs 323 ms); django's 6 MB does not.
LOAD_MAX_BYTES = 12_000_000


class LazyView(SymbolIndex):
    """A partial index holding only files that may define the names asked for, tagged on demand."""

    def __init__(self, base: SymbolIndex) -> None:
        """Wrap the shared index (used as a cache of still-fresh entries); nothing is read or stored."""
        super().__init__(base.root, base.path.parent.parent)
        self.base = base
        self._loaded = True
        self.names: set[str] = set()
        with _CACHE_GUARD:
            self._cache = _CACHE.setdefault(str(self.root), {})

    def entry(self, rel: str) -> Entry:
        """A file's entry: from the index or the lazy cache when still fresh, else tagged now."""
        root = str(self.root)
        for source in (self.base.files, self._cache):
            found = source.get(rel)
            if found is not None and not changed(root, rel, found):
                return found
        found = scan_file(root, rel, language_for(rel) or "")[1]
        self._cache[rel] = found
        return found

    def ensure(self, *names: str) -> None:
        """Tag every file that may define one of `names`, each as soon as ripgrep reports it."""
        names = tuple(n for n in names if n not in self.names)
        if not names:
            return
        self.names.update(names)
        for rel in iter_definition_files(str(self.root), *names):
            if rel not in self.files:
                self.files[rel] = self.entry(rel)
        self._by_name = None

    def symbols(self, rel: str) -> list[Sym]:
        """Symbols of one file, tagging it on first use."""
        if rel not in self.files and language_for(rel) and os.path.isfile(os.path.join(self.root, rel)):
            self.files[rel] = self.entry(rel)
            self._by_name = None
        return super().symbols(rel)

    def refresh_file(self, rel: str) -> Entry | None:
        """The current entry of one file (None when it has no grammar or is gone)."""
        if language_for(rel) is None or not os.path.isfile(os.path.join(self.root, rel)):
            self.files.pop(rel, None)
            self._by_name = None
            return None
        self.files[rel] = self.entry(rel)
        self._by_name = None
        return self.files[rel]

    def refresh(self, on_progress: Progress | None = None, workers: int | None = None,
                max_scan: int | None = None) -> int:
        """A view is never refreshed as a whole."""
        return 0

    def _save(self) -> None:
        """A view is never stored."""

    def list_folder(self, rel_dir: str) -> list[str]:
        """The code files under a folder, as the index would list them (nothing is tagged yet)."""
        cmd = [rg_path(), "--files", "--no-messages", "--no-require-git"]
        if rel_dir not in ("", "."):
            cmd += ["--", rel_dir]
        proc = subprocess.run(cmd, cwd=self.root, capture_output=True, check=False)
        names = [n.replace(os.sep, "/") for n in proc.stdout.decode("utf-8", "surrogateescape").splitlines()]
        return sorted(n.removeprefix("./") for n in names if language_for(n))


def view(root: Path, cache_dir: Path | None = None, one_file: bool = False) -> SymbolIndex:
    """The shared index when complete and fresh (refreshed in place for a few changed files), else a LazyView.

    Never waits: while a background build holds the index, the lazy view answers. `one_file`: the query
    names its file, so an index not in memory yet is not read for it (tagging one file is cheaper).
    """
    base = get_index(root, cache_dir, refresh=False)
    if not base._loaded and (one_file or (id(base) not in _BUILDERS and base.stored_size() > LOAD_MAX_BYTES)):
        return LazyView(base)  # a one-off query: ripgrep and a few tagged files beat reading the index
    if base.lock.acquire(blocking=False):
        try:
            if not base._loaded or (not base.complete and base.stored_elsewhere()):
                base._load()  # first use, or another process has stored a full index since
            if (base.complete and time.monotonic() - base.checked_at < FRESH_SECONDS
                    and _dir_mtimes(base.root, base.dirs) == base.dirs):
                return base  # no file added or removed, contents checked just now; homes() re-checks its files
            if base.complete and base.refresh(max_scan=QUICK_SCAN) >= 0:
                return base
        finally:
            base.lock.release()
        builder = _BUILDERS.get(id(base))
        if builder is not None and not builder[0].is_alive():  # many files changed (a checkout): rebuild behind
            start_background(base.root, cache_dir, *builder[1:])
    return LazyView(base)


def start_background(root: Path, cache_dir: Path | None = None, on_progress: Progress | None = None,
                     min_total: int = POOL_MIN_FILES) -> threading.Thread:
    """Build or refresh the persistent index in a daemon thread (tagging runs in a process pool).

    Progress is reported only for builds of at least `min_total` files (small ones end before it matters).
    """
    index = get_index(root, cache_dir, refresh=False)

    def report(done: int, total: int) -> None:
        if on_progress is not None and total >= min_total:
            on_progress(done, total)

    def build() -> None:
        try:
            index.refresh(report)
            index.by_name()  # the name table too, so that no lookup pays for it
        except Exception:  # a failed background build only means lookups stay lazy
            pass
        with _CACHE_GUARD:
            _CACHE.pop(str(index.root), None)  # the index now holds what the lazy cache held

    thread = threading.Thread(target=build, name="pith-symbol-index", daemon=True)
    _BUILDERS[id(index)] = (thread, on_progress, min_total)
    thread.start()
    return thread


def note_edit(root: Path, cache_dir: Path | None, rel: str) -> None:
    """Re-tag one edited file in a loaded index (a few ms); the index is stored a moment later, once per burst.

    Skipped while a build holds the index: that build, or the next lookup's stat check, sees the change.
    """
    index = _INDEXES.get((os.path.realpath(root), str(cache_dir or "")))
    if index is None or not index.complete or not index.lock.acquire(timeout=EDIT_WAIT):
        return
    try:
        index.refresh_file(rel)
    finally:
        index.lock.release()
    with _CACHE_GUARD:
        if id(index) not in _SAVES:
            timer = threading.Timer(SAVE_DELAY, _save_later, (index,))
            timer.daemon = True
            _SAVES[id(index)] = timer
            timer.start()


def _save_later(index: SymbolIndex) -> None:
    """Store an index after a burst of edits (a timer thread)."""
    with _CACHE_GUARD:
        _SAVES.pop(id(index), None)
    index.save()
