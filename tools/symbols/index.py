"""Persistent per-repository symbol index: built once, refreshed incrementally by size and mtime."""
from __future__ import annotations

import gc
import hashlib
import marshal
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from tools.languages import language_for

from .scan import (MAX_BYTES, MAX_LINE, RACY_NS, Entry, _dir_mtimes, _size, changed, list_files,  # noqa: F401
                   scan_chunk, scan_file, stale_files)
from .tags import Sym

VERSION = 7
POOL_MIN_FILES = 200
RELIST_SECONDS = 30.0  # backstop: list the tree again at least this often (new folders without code)
CHUNK = 48
Progress = Callable[[int, int], None]


def default_cache_dir() -> Path:
    """The user cache folder for pith."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("pith"))


class SymbolIndex:
    """Symbols of every indexed file of one repository, with a name lookup."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        """Bind to a root; nothing is read until refresh()."""
        self.root = Path(os.path.realpath(root))
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:16]
        self.path = (cache_dir or default_cache_dir()) / "symbols" / f"{digest}.marshal"
        self.files: dict[str, Entry] = {}
        self.dirs: dict[str, int] = {}
        self._by_name: dict[str, list[tuple[str, int]]] | None = None
        self._loaded = False
        self._listed_at = -RELIST_SECONDS  # no listing yet
        self.complete = False  # every file of the tree has an entry (loaded from disk or fully built)
        self._stored_at = -1  # mtime_ns of the stored file when last read or written
        self._scanned_once = False
        self.checked_at = -float("inf")  # when refresh() last compared the whole tree with the index
        self._pool: Any = None  # the process pool of a build in progress
        self.cancel = threading.Event()  # set at exit: a background build stops after its running chunks
        self.lock = threading.RLock()

    def _load(self) -> None:
        """Read the stored index if it matches this version and root."""
        self._loaded = True
        self._stored_at = self._store_mtime()
        collecting = gc.isenabled()
        gc.disable()  # hundreds of thousands of new tuples would trigger the cyclic GC again and again (2x slower)
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return
        finally:
            if collecting:
                gc.enable()
        if isinstance(data, dict) and data.get("version") == VERSION and data.get("root") == str(self.root):
            self.files, self.dirs = data["files"], data["dirs"]
            self._listed_at = time.monotonic()  # trust the stored folder mtimes until the backstop
            self.complete = True

    def _store_mtime(self) -> int:
        """mtime_ns of the stored index file, -1 when there is none."""
        try:
            return os.stat(self.path).st_mtime_ns
        except OSError:
            return -1

    def stored_size(self) -> int:
        """Size in bytes of the stored index file, 0 when there is none."""
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def stored_elsewhere(self) -> bool:
        """Whether the stored file changed since this object read or wrote it (another process built it)."""
        return self._store_mtime() != self._stored_at

    def _save(self) -> None:
        """Write the index atomically (temp file + rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        blob = marshal.dumps({"version": VERSION, "root": str(self.root), "files": self.files,
                             "dirs": self.dirs})
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".idx-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, self.path)
            self._stored_at = self._store_mtime()
        except OSError:
            Path(tmp).unlink(missing_ok=True)

    def refresh(self, on_progress: Progress | None = None, workers: int | None = None,
                max_scan: int | None = None) -> int:
        """Bring the index up to date with the tree; returns how many files were (re)tagged.

        With `max_scan`, nothing changes and -1 is returned when more files than that need tagging.
        """
        with self.lock:
            if not self._loaded:
                self._load()
            fresh = time.monotonic() - self._listed_at < RELIST_SECONDS
            if fresh and _dir_mtimes(self.root, self.dirs) == self.dirs:
                current, dirs = list(self.files), self.dirs  # no file added or removed
            else:
                current, dirs = list_files(self.root)
                self._listed_at = time.monotonic()
            stale = stale_files(str(self.root), self.files, current)
            if max_scan is not None and len(stale) > max_scan:
                return -1
            removed = set(self.files) - set(current)
            changed_dirs = dirs != self.dirs
            self.dirs = dirs
            for rel in removed:
                del self.files[rel]
            if stale:
                self._scan(stale, on_progress, workers)
            if self.cancel.is_set():  # stopped part way: list the tree again next time, store nothing
                self._listed_at = -RELIST_SECONDS
                return -1
            if stale or removed:
                self._by_name = None
            if stale or removed or changed_dirs:
                self._save()
            self.complete = True
            self.checked_at = time.monotonic()
            return len(stale)

    def fresh_entry(self, rel: str) -> Entry | None:
        """A file's entry when it still matches the file on disk (size, mtime, not racy), else None."""
        entry = self.files.get(rel)
        return entry if entry is not None and not self._changed(rel) else None

    def save(self) -> None:
        """Store the index now (after incremental updates)."""
        with self.lock:
            self._save()

    def _changed(self, rel: str) -> bool:
        """Whether a file differs (size or mtime) from its entry, or was scanned too soon after a change."""
        return changed(str(self.root), rel, self.files.get(rel))

    def _scan(self, rels: list[str], on_progress: Progress | None, workers: int | None) -> None:
        """Tag files, in a process pool when there are many and more than one core."""
        items = [(rel, language_for(rel) or "") for rel in rels]
        total = len(items)
        workers = workers if workers is not None else (os.cpu_count() or 1)
        if workers > 1 and total >= POOL_MIN_FILES:
            self._scan_pool(items, on_progress, workers)
            return
        for done, (rel, lang) in enumerate(items, 1):
            if self.cancel.is_set():
                return
            self.files[rel] = scan_file(str(self.root), rel, lang)[1]
            if on_progress and (done % 100 == 0 or done == total):
                on_progress(done, total)

    def _scan_pool(self, items: list[tuple[str, str]], on_progress: Progress | None, workers: int) -> None:
        """Tag chunks of files across processes, reporting progress per chunk."""
        import multiprocessing  # here, not at the top: a one-shot `pith tool` query never needs a pool
        from concurrent.futures import ProcessPoolExecutor, as_completed

        _stop_builds_at_exit()
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        items = sorted(items, key=lambda item: -_size(self.root, item[0]))  # big files first: better balance
        chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
        done = 0
        pool = self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
        try:
            futures = [pool.submit(scan_chunk, str(self.root), chunk) for chunk in chunks]
            for fut in as_completed(futures):
                for rel, entry in fut.result():
                    self.files[rel] = entry
                    done += 1
                if on_progress:
                    on_progress(done, len(items))
                if self.cancel.is_set():
                    return
        finally:  # not `with`: its shutdown() would reset cancel_futures before the pool saw it
            self._pool = None
            pool.shutdown(wait=True, cancel_futures=True)

    def refresh_file(self, rel: str) -> Entry | None:
        """Re-tag one file if it changed (cheap check before reading a symbol); None if not indexed."""
        with self.lock:
            if not self._loaded:
                self._load()
            lang = language_for(rel)
            if lang is None:
                return None
            if self._changed(rel):
                old = self.files.pop(rel, None)
                if os.path.exists(os.path.join(self.root, rel)):
                    self.files[rel] = scan_file(str(self.root), rel, lang)[1]
                self._retable(rel, old, self.files.get(rel))
            return self.files.get(rel)

    def _retable(self, rel: str, old: Entry | None, new: Entry | None) -> None:
        """Update the name table for one re-tagged file in place (rebuilding it costs ~40 ms on django)."""
        if self._by_name is None:
            return
        for t in (old[3] or ()) if old else ():
            homes = [home for home in self._by_name.get(t[0], ()) if home[0] != rel]
            if homes:
                self._by_name[t[0]] = homes
            else:
                self._by_name.pop(t[0], None)
        for i, t in enumerate((new[3] or ()) if new else ()):
            self._by_name.setdefault(t[0], []).append((rel, i))

    def symbols(self, rel: str) -> list[Sym]:
        """Symbols of one indexed file (empty when skipped or unknown)."""
        entry = self.files.get(rel)
        return [Sym(*t) for t in entry[3]] if entry and entry[3] else []

    def homes(self, name: str) -> list[tuple[str, int]]:
        """(path, index) of each symbol named `name`, its files re-tagged first if they changed on disk."""
        with self.lock:
            found = self._homes(name)
            stale = {rel for rel, _ in found if self._changed(rel)}
            for rel in stale:
                self.refresh_file(rel)
            return self._homes(name) if stale else found

    def _homes(self, name: str) -> list[tuple[str, int]]:
        """(path, index) of each symbol named `name`; one query scans, repeated ones build the table."""
        if self._by_name is None and not self._scanned_once:
            self._scanned_once = True  # a one-shot CLI query need not pay for the whole table
            return [(rel, i) for rel, entry in self.files.items()
                    for i, t in enumerate(entry[3] or ()) if t[0] == name]
        return self.by_name().get(name, [])

    def by_name(self) -> dict[str, list[tuple[str, int]]]:
        """Map from a symbol's short name to (path, index) pairs, built lazily."""
        with self.lock:
            if self._by_name is None:
                table: dict[str, list[tuple[str, int]]] = {}
                for rel, entry in self.files.items():
                    for i, t in enumerate(entry[3] or ()):
                        table.setdefault(t[0], []).append((rel, i))
                self._by_name = table
            return self._by_name


_INDEXES: dict[tuple[str, str], SymbolIndex] = {}
_GUARD = threading.Lock()
_STOPPING: list[bool] = []  # whether the exit hook is registered


def _stop_builds() -> None:
    """At exit, stop background builds after their running chunks (their pool would be waited for)."""
    for index in list(_INDEXES.values()):
        index.cancel.set()
        try:  # never raise here: the hooks after this one must still run
            for proc in list((getattr(index._pool, "_processes", None) or {}).values()):
                proc.terminate()  # its chunk is thrown away anyway; exit must not wait for it
        except Exception:
            pass


def _stop_builds_at_exit() -> None:
    """Register `_stop_builds` once, after concurrent.futures registered its own exit hook (those run last first)."""
    with _GUARD:
        if _STOPPING:
            return
        _STOPPING.append(True)
    try:  # threading's exit hooks run before concurrent.futures waits for its pools (plain atexit runs after)
        threading._register_atexit(_stop_builds)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        pass


def get_index(root: Path, cache_dir: Path | None = None, on_progress: Progress | None = None,
              refresh: bool = True) -> SymbolIndex:
    """The shared, up-to-date index for a root (one per root and cache folder per process)."""
    key = (os.path.realpath(root), str(cache_dir or ""))
    with _GUARD:
        index = _INDEXES.get(key)
        if index is None:
            index = _INDEXES[key] = SymbolIndex(Path(key[0]), cache_dir)
    if refresh:
        index.refresh(on_progress)
    return index
