"""Git safety net: working-tree snapshots on a private ref, never touching the user's index, HEAD or branch."""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tools.base import ToolError
from tools.checkpoint_meta import Manifest, commit_paths, file_sha256, git_blob_id, repo_lock

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
        self.skipped: list[str] = []  # what the last commit() left out, and why
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

    # -- records ----------------------------------------------------------------------------------
    def _manifest(self, sha: str) -> Manifest:
        """The record stored in a checkpoint commit's message."""
        return Manifest.parse(self._git("log", "-1", "--format=%B", sha, strip=False))

    def _commit_tree(self, tree: str, parent: str | None, manifest: Manifest) -> str:
        """A checkpoint commit (the message through a file: a large record would overflow an argument)."""
        tmpdir = Path(tempfile.mkdtemp(prefix="pith-msg-"))
        try:
            (tmpdir / "msg").write_text(manifest.message(), encoding="utf-8")
            return self._git("commit-tree", tree, *(["-p", parent] if parent else []), "-F", str(tmpdir / "msg"))
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _ignored(self) -> list[str]:
        """Ignored paths present now (folders collapsed): checkpoints never hold them."""
        try:
            out = self._git("ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory", "--",
                            self._spec, strip=False)
        except Exception:
            return []
        return [p for p in out.split("\0") if p][:300]

    def _top_path(self, path: str) -> str:
        """A root-relative path (as tools report it) relative to the top of the work tree."""
        joined = path if self._spec == "." else f"{self._spec}/{path}"
        return posixpath.normpath(joined)

    def _lock(self):  # type: ignore[no-untyped-def]
        """The repo-wide checkpoint lock."""
        return repo_lock(Path(self._repo.common_dir))

    # -- API --------------------------------------------------------------------------------------
    def snapshot(self, label: str) -> str | None:
        """Commit the working tree onto the private ref; returns the sha (the previous one if unchanged)."""
        if self._reason:
            return None
        with self._lock():
            tree = self._tree_of_worktree()
            parent = self._head_of_ref()
            if parent and self._git("rev-parse", parent + "^{tree}") == tree and not self._manifest(parent).files:
                return parent
            sha = self._commit_tree(tree, parent, Manifest(label=label or "checkpoint", ignored=self._ignored()))
            self._git("update-ref", "-m", f"pith checkpoint: {label}", self.ref, sha, parent or "0" * 40)
            return sha

    def record(self, edits: list[dict[str, Any]]) -> None:
        """Note files the session just wrote (path relative to root, after_hash) in the latest checkpoint."""
        if self._reason or not edits:
            return
        with self._lock():
            head = self._head_of_ref()
            if head is None:
                return
            manifest = self._manifest(head)
            for edit in edits:
                path = self._top_path(edit["path"])
                if path not in manifest.files and not self._matches(head, path, edit.get("before_hash")):
                    manifest.stale.append(path)
                manifest.files[path] = edit.get("after_hash")
            tree = self._git("rev-parse", head + "^{tree}")
            parents = self._git("rev-list", "--parents", "-n", "1", head).split()[1:]
            sha = self._commit_tree(tree, parents[0] if parents else None, manifest)
            self._git("update-ref", "-m", "pith checkpoint: files written", self.ref, sha, head)

    def _matches(self, commit: str, path: str, before_hash: str | None) -> bool:
        """Whether the checkpoint holds the content pith found before its first write of path."""
        try:
            data = self._repo.git.execute(["git", "cat-file", "blob", f"{commit}:{path}"], stdout_as_string=False,
                                          strip_newline_in_stdout=False)
        except Exception:
            return before_hash is None
        return before_hash is not None and hashlib.sha256(data).hexdigest() == before_hash

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

    def _chain(self) -> list[str]:
        """Checkpoint commits, newest first."""
        head = self._head_of_ref()
        return self._git("rev-list", "--first-parent", head).split() if head else []

    def owned(self) -> dict[str, str | None]:
        """Every file the session wrote (top-relative path -> sha256 after pith's last write)."""
        files: dict[str, str | None] = {}
        for sha in reversed(self._chain()):
            files.update(self._manifest(sha).files)
        return files

    def undo(self) -> str:
        """Restore the files pith wrote since its latest checkpoint that has any; refuse if someone changed them."""
        self._require()
        with self._lock():
            chain = self._chain()
            if not chain:
                raise ToolError("nothing to undo: this session has no checkpoints left")
            target = next((sha for sha in chain if self._manifest(sha).files), None)
            if target is None:
                raise ToolError("nothing to undo: this session's edit tools changed no files"
                                + self._unrestorable(chain[-1], set()))
            manifest = self._manifest(target)
            plan, conflicts = self._plan_undo(target, manifest)
            if conflicts:
                raise ToolError("undo refused, nothing restored: these files changed since pith last wrote them "
                                "(your edits would be lost):\n" + "\n".join(f"  {c}" for c in conflicts))
            self._restore(target, plan)
            self._pop(target)
            lines = [f"  {'deleted' if s == 'D' else 'restored'} {p}" for s, _, p in plan]
            note = self._unrestorable(target, set(manifest.files))
        head = f"undo: restored checkpoint {target[:8]} ({manifest.label}), {len(plan)} file(s)"
        return head + (":\n" + "\n".join(lines) if lines else "") + note

    def _plan_undo(self, target: str, manifest: Manifest) -> tuple[list[tuple[str, str, str]], list[str]]:
        """(rows for _restore, conflicts) for the files a checkpoint's record lists."""
        plan: list[tuple[str, str, str]] = []
        conflicts: list[str] = []
        before = self._tree_entries(target, list(manifest.files))
        for path, after in sorted(manifest.files.items()):
            now = file_sha256(self._top / path)
            mode, blob = before.get(path, ("", ""))
            if blob and git_blob_id(self._top / path) == blob:
                continue  # already back to the checkpoint's content
            if not blob and now is None:
                continue
            if now != after or path in manifest.stale:
                why = "changed before pith's first write" if path in manifest.stale else "changed since pith's write"
                conflicts.append(f"{path} ({'deleted' if now is None else why})")
                continue
            plan.append(("M" if blob else "D", mode or "100644", path))
        return plan, conflicts

    def _tree_entries(self, commit: str, paths: list[str]) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob sha) in a commit, for the given paths."""
        entries: dict[str, tuple[str, str]] = {}
        for chunk in range(0, len(paths), 200):
            out = self._git("ls-tree", "-z", commit, "--", *paths[chunk:chunk + 200], strip=False)
            for row in out.split("\0"):
                if "\t" in row:
                    meta, path = row.split("\t", 1)
                    mode, _, blob = meta.split()
                    entries[path] = (mode, blob)
        return entries

    def _unrestorable(self, target: str, restored: set[str]) -> str:
        """Honest notes on what undo did not put back: command changes and deleted ignored files."""
        other = [p for _, _, p in self._changes(self._tree_of_worktree(), target) if p not in restored]
        gone = [p for p in self._manifest(target).ignored if not os.path.lexists(self._top / p)]
        note = ""
        if other:
            shown = ", ".join(other[:20]) + (f" and {len(other) - 20} more" if len(other) > 20 else "")
            note += (f"\nnot touched (changed by commands or by you, not by pith's edit tools): {shown}; to take "
                     f"them back yourself: git restore --source={target[:12]} --worktree -- <path>")
        if gone:
            note += ("\ncannot restore (ignored by git, so never in a checkpoint): " + ", ".join(gone[:20]))
        return note

    def _pop(self, target: str) -> str | None:
        """Move the private ref back past `target`; returns the new head (None when none is left)."""
        head = self._head_of_ref() or target
        parents = self._git("rev-list", "--parents", "-n", "1", target).split()[1:]
        if parents:
            self._git("update-ref", "-m", "pith undo", self.ref, parents[0], head)
            return parents[0]
        self._git("update-ref", "-d", self.ref, head)
        return None

    def _first(self) -> str | None:
        """The session's first checkpoint commit."""
        chain = self._chain()
        return chain[-1] if chain else None

    def diff(self) -> str:
        """Unified diff of the files the session wrote, against its first checkpoint ("" if none)."""
        if self._reason:
            return ""
        first = self._first()
        paths = sorted(self.owned())
        if first is None or not paths:
            return ""
        current = self._tree_of_worktree()
        return self._git("-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "--no-textconv", first,
                         current, "--", *paths, strip=False)

    def changed_files(self) -> list[str]:
        """Files the session wrote that differ from its first checkpoint (top-relative)."""
        first = self._first()
        owned = self.owned()
        if first is None or not owned:
            return []
        return [p for _, _, p in self._changes(first, self._tree_of_worktree()) if p in owned]

    def commit(self, message: str, paths: list[str] | None = None) -> str:
        """Commit only files the session wrote (`paths`: root-relative, e.g. files_changed) that still hold pith's
        content; returns the new HEAD sha. `self.skipped` lists what was left out and why."""
        self._require()
        owned = self.owned()
        wanted = [self._top_path(p) for p in paths] if paths is not None else self.changed_files()
        self.skipped = []
        keep = []
        for path in dict.fromkeys(wanted):
            if path not in owned:
                self.skipped.append(f"{path} (not written by this session)")
            elif file_sha256(self._top / path) != owned[path] and owned[path] is not None:
                self.skipped.append(f"{path} (changed since pith wrote it)")
            else:
                keep.append(path)
        if not keep:
            raise ToolError("nothing to commit: the session changed no files" + (
                " that still hold its content: " + ", ".join(self.skipped) if self.skipped else ""))
        return commit_paths(self._repo, keep, message)


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
