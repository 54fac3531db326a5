"""Where .git/ cannot be mounted read-only (Landlock alone, no sandbox), the files that make git run code are kept:
a command's changes to .git/config, config.worktree, info/attributes and hooks/ are undone when it ends. Without
this, a command could plant a hook, `core.fsmonitor` or a filter driver that pith's own git (checkpoints, --commit)
or the user's next commit would run outside any sandbox."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

WATCHED = ("config", "config.worktree", "info/attributes")
Entry = tuple[bytes, int] | None  # (content, mode) of a regular file, None when absent
Snapshot = dict[str, Entry]


def _read(path: Path) -> Entry:
    """A regular file's content and mode, None for anything else (a symlink is never followed)."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            return None
        return path.read_bytes(), stat.S_IMODE(info.st_mode)
    except OSError:
        return None


def _real_dir(path: Path) -> bool:
    """A directory that is not a symlink."""
    return path.is_dir() and not path.is_symlink()


def snapshot(root: Path) -> Snapshot | None:
    """The watched files of `root/.git` (None when .git is not a plain directory: nothing to keep)."""
    git = root / ".git"
    if not _real_dir(git):
        return None
    files: Snapshot = {name: _read(git / name) for name in WATCHED}
    if _real_dir(git / "hooks"):
        files["hooks/"] = (b"", 0)  # the folder itself: a symlink put in its place counts as a change
        for hook in (git / "hooks").iterdir():
            files[f"hooks/{hook.name}"] = _read(hook)
    return files


def _remove(path: Path) -> None:
    """Delete a file, symlink or folder (a symlink is removed, never followed)."""
    if _real_dir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif path.is_symlink() or path.exists():
        path.unlink(missing_ok=True)


def _put(path: Path, entry: Entry) -> None:
    """Make `path` hold exactly `entry` (a fresh file: a symlink planted there is replaced, not written through)."""
    _remove(path)
    if entry is None:
        return
    if not _real_dir(path.parent):
        _remove(path.parent)
        path.parent.mkdir()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, entry[1])
    with os.fdopen(fd, "wb") as handle:
        handle.write(entry[0])


def restore(root: Path, before: Snapshot | None) -> list[str]:
    """Undo changes to the watched files since `before`; the .git/ paths that were put back."""
    git = root / ".git"
    if before is None or not _real_dir(git):
        return []
    now = snapshot(root) or {}
    changed = sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))
    for name in changed:  # "hooks/" sorts before the hooks in it
        if name == "hooks/":
            _remove(git / "hooks")
            if before.get(name) is not None:
                (git / "hooks").mkdir()
        else:
            _put(git / name, before.get(name))
    return [f".git/{name}" for name in changed]
