"""The repository's files for `@path` completion: listed once (git, else ripgrep), cached, fuzzy-ranked."""
from __future__ import annotations

import heapq
import re
import subprocess
import threading
import time
from pathlib import Path

CACHE_S = 30.0
MAX_FILES = 200_000
_cache: dict[str, tuple[float, list[str]]] = {}
_lock = threading.Lock()


def _git_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files under root, or None outside a git work tree."""
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [n for n in dict.fromkeys(names) if n and (root / n).is_file()]


def _rg_files(root: Path) -> list[str]:
    """What ripgrep would search (respects ignore files); [] when rg is missing."""
    try:
        from tools.rg import rg_path

        proc = subprocess.run([rg_path(), "--files", "--no-messages"], cwd=root, capture_output=True, timeout=10,
                              check=False)
    except Exception:
        return []
    return proc.stdout.decode("utf-8", "surrogateescape").splitlines()


def list_files(root: Path, refresh: bool = False) -> list[str]:
    """Relative paths of the repository's files (cached for CACHE_S seconds)."""
    key = str(Path(root).resolve())
    with _lock:
        hit = _cache.get(key)
    if hit and not refresh and time.monotonic() - hit[0] < CACHE_S:
        return hit[1]
    names = _git_files(Path(key))
    if names is None:
        names = _rg_files(Path(key))
    names = sorted(n.replace("\\", "/") for n in names)[:MAX_FILES]
    with _lock:
        _cache[key] = (time.monotonic(), names)
    return names


def score(query: str, path: str) -> float | None:
    """How well `query` fuzzy-matches `path` (higher is better), or None when its letters are not all there in order."""
    if not query:
        return 0.0
    return _score(query.lower(), path.lower(), path)


def _score(q: str, p: str, path: str) -> float | None:
    """`score` on lower-cased text."""
    base_start = p.rfind("/") + 1
    at = p.find(q, base_start)
    if at >= 0:  # a substring of the file name beats everything else
        return 1000.0 - len(p) * 0.1 + (50 if at == base_start else 0)
    at = p.find(q)
    if at >= 0:
        return 500.0 - len(p) * 0.1 - at * 0.01
    total, pos, run = 0.0, 0, 0
    for char in q:
        found = p.find(char, pos)
        if found < 0:
            return None
        run = run + 1 if found == pos else 0
        boundary = found == 0 or p[found - 1] in "/._-"
        total += 1 + run * 2 + (3 if boundary else 0) + (2 if found >= base_start else 0)
        pos = found + 1
    return total - len(p) * 0.1


_lowered: tuple[int, list[str]] = (0, [])


def _lower_all(paths: list[str]) -> list[str]:
    """The paths lower-cased (kept for the last list seen: the cached file list)."""
    global _lowered
    if _lowered[0] != id(paths) or len(_lowered[1]) != len(paths):
        _lowered = (id(paths), [p.lower() for p in paths])
    return _lowered[1]


def rank(query: str, paths: list[str], limit: int = 20) -> list[str]:
    """The best `limit` paths for `query`, best first (the repository's order for an empty query)."""
    if not query:
        return paths[:limit]
    q = query.lower()
    lowered = _lower_all(paths)
    pattern = re.compile(".*?".join(map(re.escape, q)))  # letters in order: a C-speed first pass
    scored = []
    for i, low in enumerate(lowered):
        if pattern.search(low):
            s = _score(q, low, paths[i])
            if s is not None:
                scored.append((s, paths[i]))
    best = heapq.nsmallest(limit, scored, key=lambda item: (-item[0], item[1]))
    return [p for _, p in best]
