"""Git safety net: working-tree snapshots on a private ref, never touching the user's index, HEAD or branch."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tools.base import ToolError

REF_PREFIX = "refs/pith/checkpoints/"
IDENTITY = {
    "GIT_AUTHOR_NAME": "pith", "GIT_AUTHOR_EMAIL": "pith@localhost",
    "GIT_COMMITTER_NAME": "pith", "GIT_COMMITTER_EMAIL": "pith@localhost",
}
GITLINK = "160000"


def _safe_id(session_id: str) -> str:
    """A session id usable as one ref path component."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", session_id).strip("-.")
    return cleaned or "session"


def _open_repo(root: Path) -> tuple[Any, str | None]:
    """(git.Repo or None, reason it is unusable)."""
    try:
        import git
    except ImportError:
        return None, "gitpython is not installed"
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None, f"{root} is not a git repository"
    except git.GitCommandNotFound:
        return None, "the git executable was not found"
    if repo.bare or repo.working_tree_dir is None:
        return None, "the repository is bare (no working tree)"
    return repo, None


class Checkpoints:
    """Snapshots of the working tree as commits on `refs/pith/checkpoints/<session_id>` (a stack)."""

    def __init__(self, root: Path, session_id: str) -> None:
        """Open the repository containing `root` (if any); checkpoints cover files under root."""
        self.root = Path(root)
        self.session_id = session_id
        self.ref = REF_PREFIX + _safe_id(session_id)
        self._repo, self._reason = _open_repo(self.root)
        self._top = Path(self._repo.working_tree_dir) if self._repo is not None else None
        self._spec = "."
        if self._top is not None:
            rel = os.path.relpath(os.path.realpath(self.root), os.path.realpath(self._top))
            self._spec = "." if rel == "." else Path(rel).as_posix()

    def available(self) -> str | None:
        """None if checkpoints work here, else the reason they do not."""
        return self._reason

    # -- plumbing ---------------------------------------------------------------------------------
    def _git(self, *args: str, index: Path | None = None, strip: bool = True) -> str:
        """Run git in the work tree with pith's identity and, if given, a private index file."""
        env = dict(IDENTITY)
        if index is not None:
            env["GIT_INDEX_FILE"] = str(index)
        return self._repo.git.execute(["git", *args], env=env, strip_newline_in_stdout=strip)

    def _require(self) -> None:
        """Raise ToolError when checkpoints cannot work here."""
        if self._reason:
            raise ToolError(self._reason)

    def _head_of_ref(self) -> str | None:
        """The latest checkpoint commit, or None."""
        try:
            return self._git("rev-parse", "--verify", "--quiet", self.ref + "^{commit}") or None
        except Exception:
            return None

    def _tree_of_worktree(self) -> str:
        """Tree sha of the working tree (tracked + untracked-not-ignored), via a throwaway index."""
        tmpdir = Path(tempfile.mkdtemp(prefix="pith-ckpt-"))
        index = tmpdir / "index"
        try:
            user_index = Path(self._repo.git_dir) / "index"
            if user_index.is_file():
                shutil.copy2(user_index, index)  # keeps mtime so git still sees racily-clean entries
            try:
                self._git("add", "-A", "--ignore-errors", "--", self._spec, index=index)
            except Exception:
                index.unlink(missing_ok=True)
                try:  # unreadable files: keep the partial snapshot rather than none
                    self._git("add", "-A", "--ignore-errors", "--", self._spec, index=index)
                except Exception:
                    if not index.exists():
                        raise
            return self._git("write-tree", index=index)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    # -- API --------------------------------------------------------------------------------------
    def snapshot(self, label: str) -> str | None:
        """Commit the working tree onto the private ref; returns the sha (the previous one if unchanged)."""
        if self._reason:
            return None
        tree = self._tree_of_worktree()
        parent = self._head_of_ref()
        if parent and self._git("rev-parse", parent + "^{tree}") == tree:
            return parent
        args = ["commit-tree", tree, "-m", label or "checkpoint"]
        if parent:
            args += ["-p", parent]
        sha = self._git(*args)
        self._git("update-ref", "-m", f"pith checkpoint: {label}", self.ref, sha, parent or "0" * 40)
        return sha

    def _changes(self, current: str, target: str) -> list[tuple[str, str, str]]:
        """(status, mode in target, path) for files that differ between two trees, within the root."""
        out = self._git("diff-tree", "-r", "-z", "--no-renames", "--raw", current, target, "--", self._spec, strip=False)
        fields = out.split("\0")
        rows = []
        for i in range(0, len(fields) - 1, 2):
            meta = fields[i].lstrip(":").split()
            if len(meta) >= 5:
                rows.append((meta[4][0], meta[1], fields[i + 1]))
        return rows

    def _restore(self, target: str, rows: list[tuple[str, str, str]]) -> None:
        """Make the working tree files in rows equal to tree `target` (deleting what it lacks)."""
        for status, mode, path in rows:
            full = self._top / path
            if (status in "DT" or mode == GITLINK) and (full.is_symlink() or full.is_file()):
                full.unlink()
                self._prune_dirs(full.parent)
        wanted = [p for s, m, p in rows if s != "D" and m != GITLINK]
        if not wanted:
            return
        tmpdir = Path(tempfile.mkdtemp(prefix="pith-undo-"))
        try:
            index = tmpdir / "index"
            self._git("read-tree", target, index=index)
            for chunk in range(0, len(wanted), 200):
                self._git("checkout-index", "-f", "--", *wanted[chunk:chunk + 200], index=index)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _prune_dirs(self, folder: Path) -> None:
        """Remove folders left empty by a deletion, up to the root."""
        stop = Path(os.path.realpath(self.root))
        while folder != stop and stop in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def undo(self) -> str:
        """Restore the working tree to the latest checkpoint that differs from it, popping the ones that don't."""
        self._require()
        target = self._head_of_ref()
        if target is None:
            raise ToolError("nothing to undo: this session has no checkpoints left")
        current = self._tree_of_worktree()
        rows = self._changes(current, target)
        while not rows:  # a checkpoint taken before an edit that then failed: skip it, or undo would do nothing
            target = self._pop(target)
            if target is None:
                raise ToolError("nothing to undo: the working tree already matches every checkpoint of this session")
            rows = self._changes(current, target)
        self._restore(target, rows)
        self._pop(target)
        label = self._git("log", "-1", "--format=%s", target)
        verbs = {"A": "restored", "D": "deleted", "M": "reverted", "T": "reverted"}
        lines = [f"  {verbs.get(s, 'reverted')} {p}" for s, _, p in rows]
        return f"undo: restored checkpoint {target[:8]} ({label}), {len(rows)} file(s):\n" + "\n".join(lines)

    def _pop(self, target: str) -> str | None:
        """Move the private ref back past `target`; returns the new head (None when none is left)."""
        parents = self._git("rev-list", "--parents", "-n", "1", target).split()[1:]
        if parents:
            self._git("update-ref", "-m", "pith undo", self.ref, parents[0], target)
            return parents[0]
        self._git("update-ref", "-d", self.ref, target)
        return None

    def _first(self) -> str | None:
        """The session's first checkpoint commit."""
        head = self._head_of_ref()
        if head is None:
            return None
        roots = self._git("rev-list", "--max-parents=0", head).split()
        return roots[0] if roots else None

    def diff(self) -> str:
        """Unified diff of the working tree against the session's first checkpoint ("" if none)."""
        if self._reason:
            return ""
        first = self._first()
        if first is None:
            return ""
        current = self._tree_of_worktree()
        return self._git("-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "--no-textconv", first, current, "--", self._spec, strip=False)

    def changed_files(self) -> list[str]:
        """Paths the session changed (working tree vs first checkpoint)."""
        first = self._first()
        if first is None:
            return []
        return [p for _, _, p in self._changes(first, self._tree_of_worktree())]

    def commit(self, message: str) -> str:
        """Commit the session's changed files to the user's current branch; returns the new HEAD sha."""
        self._require()
        paths = self.changed_files()
        if not paths:
            raise ToolError("nothing to commit: the session changed no files")
        env = {}
        for key, var in (("user.name", "GIT_AUTHOR_NAME"), ("user.email", "GIT_AUTHOR_EMAIL")):
            try:
                self._repo.git.config("--get", key)
            except Exception:
                env[var] = IDENTITY[var]
                env[var.replace("AUTHOR", "COMMITTER")] = IDENTITY[var]
        tracked = set(self._git("ls-files", "-z", "--cached", "--", *paths, strip=False).split("\0"))
        paths = [p for p in paths if p in tracked or os.path.lexists(self._top / p)]
        if not paths:
            raise ToolError("nothing to commit: the session's changes are to files git does not know")
        try:
            for chunk in range(0, len(paths), 200):
                self._repo.git.execute(["git", "add", "-A", "--", *paths[chunk:chunk + 200]], env=env)
            self._repo.git.execute(["git", "commit", "-q", "-m", message, "--", *paths], env=env)
        except Exception as exc:
            detail = (getattr(exc, "stderr", "") or str(exc)).strip()
            raise ToolError(f"git commit failed: {detail[-800:]}") from None
        return self._repo.git.execute(["git", "rev-parse", "HEAD"])


def list_sessions_with_checkpoints(root: Path) -> list[dict[str, str]]:
    """Sessions that have checkpoints in this repo: id, latest sha, date and label (newest first)."""
    repo, reason = _open_repo(Path(root))
    if reason:
        return []
    fmt = "%(refname)%00%(objectname)%00%(committerdate:iso8601)%00%(subject)"
    out = repo.git.execute(["git", "for-each-ref", "--sort=-committerdate", f"--format={fmt}", REF_PREFIX])
    rows = []
    for line in out.splitlines():
        ref, sha, date, label = (line.split("\0") + ["", "", ""])[:4]
        rows.append({"session_id": ref[len(REF_PREFIX):], "sha": sha, "date": date, "label": label})
    return rows
