"""Checkpoints on a private ref: undo round trips in a real git repo, user state untouched."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tools.base import ToolError
from tools.checkpoint import Checkpoints, list_sessions_with_checkpoints


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return stdout."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A repo with one commit, a staged change, an unstaged change, an ignored file and a stash."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.com")
    (root / ".gitignore").write_text("build/\n")
    (root / "a.py").write_text("a = 1\n")
    (root / "b.py").write_text("b = 1\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "c.py").write_text("c = 1\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    (root / "a.py").write_text("a = 2\n")
    git(root, "stash", "-q")
    (root / "b.py").write_text("b = 2\n")
    git(root, "add", "b.py")
    (root / "pkg" / "c.py").write_text("c = 2\n")
    (root / "build").mkdir()
    (root / "build" / "out.bin").write_text("ignored")
    return root


def pith_write(cps: Checkpoints, root: Path, path: str, text: str | None) -> None:
    """Write (or delete, for None) a file as pith's edit tools do, recording it in the session's checkpoint."""
    import hashlib

    target = root / path
    before = hashlib.sha256(target.read_bytes()).hexdigest() if target.is_file() else None
    if target.is_symlink():
        before = hashlib.sha256(str(target.readlink()).encode()).hexdigest()
    if text is None:
        target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    rel = path if cps.root == root else str((root / path).relative_to(cps.root))
    after = None if text is None else hashlib.sha256(text.encode()).hexdigest()
    cps.record([{"path": rel, "after_hash": after, "before_hash": before}])


def user_state(root: Path) -> tuple[str, ...]:
    """Everything of the user's git state a checkpoint must not change."""
    return (
        git(root, "status", "--porcelain"), git(root, "rev-parse", "HEAD"), git(root, "symbolic-ref", "HEAD"),
        git(root, "stash", "list"), git(root, "diff", "--cached"), git(root, "ls-files", "-s"),
    )


def tree_files(root: Path) -> dict[str, bytes]:
    """All non-.git files with their bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_snapshot_leaves_user_state_untouched(repo: Path) -> None:
    before = user_state(repo)
    cps = Checkpoints(repo, "sess-1")
    assert cps.available() is None
    sha = cps.snapshot("before step 1")
    assert sha and len(sha) == 40
    assert user_state(repo) == before
    assert git(repo, "rev-parse", "refs/pith/checkpoints/sess-1").strip() == sha
    assert "c = 2" in git(repo, "show", f"{sha}:pkg/c.py")
    assert "build/out.bin" not in git(repo, "ls-tree", "-r", "--name-only", sha)


def test_undo_round_trip_edits_creations_deletions(repo: Path) -> None:
    cps = Checkpoints(repo, "sess-2")
    original = tree_files(repo)
    before = user_state(repo)
    cps.snapshot("turn 1")
    pith_write(cps, repo, "pkg/c.py", "c = 3\n")
    pith_write(cps, repo, "new/deep/n.py", "n = 1\n")
    pith_write(cps, repo, "b.py", None)
    (repo / "build" / "later.bin").write_text("ignored, must survive undo")
    msg = cps.undo()
    assert "pkg/c.py" in msg and "new/deep/n.py" in msg and "b.py" in msg
    after = tree_files(repo)
    assert after.pop("build/later.bin") == b"ignored, must survive undo"
    assert after == original
    assert not (repo / "new").exists()
    assert user_state(repo) == before
    with pytest.raises(ToolError, match="nothing to undo"):
        cps.undo()


def test_undo_is_a_stack(repo: Path) -> None:
    cps = Checkpoints(repo, "sess-3")
    cps.snapshot("turn 1")
    pith_write(cps, repo, "a.py", "a = 10\n")
    cps.snapshot("turn 2")
    pith_write(cps, repo, "a.py", "a = 20\n")
    assert cps.snapshot("turn 3") is not None
    pith_write(cps, repo, "a.py", "a = 30\n")
    assert "turn 3" in cps.undo()
    assert (repo / "a.py").read_text() == "a = 20\n"
    assert "turn 2" in cps.undo()
    assert (repo / "a.py").read_text() == "a = 10\n"
    cps.undo()
    assert (repo / "a.py").read_text() == "a = 1\n"


def test_unchanged_tree_reuses_checkpoint(repo: Path) -> None:
    cps = Checkpoints(repo, "sess-4")
    assert cps.snapshot("one") == cps.snapshot("two")


def test_diff_against_first_checkpoint(repo: Path) -> None:
    cps = Checkpoints(repo, "sess-5")
    assert cps.diff() == ""
    cps.snapshot("turn 1")
    pith_write(cps, repo, "a.py", "a = 5\n")
    cps.snapshot("turn 2")
    pith_write(cps, repo, "z.py", "z = 1\n")
    diff = cps.diff()
    assert "-a = 1" in diff and "+a = 5" in diff and "+z = 1" in diff
    assert "b.py" not in diff


def test_commit_only_session_files(repo: Path) -> None:
    cps = Checkpoints(repo, "sess-6")
    cps.snapshot("turn 1")
    pith_write(cps, repo, "a.py", "a = 7\n")
    pith_write(cps, repo, "made.py", "made = 1\n")
    head = git(repo, "rev-parse", "HEAD").strip()
    sha = cps.commit("pith: change a, add made")
    assert sha == git(repo, "rev-parse", "HEAD").strip() and sha != head
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    files = git(repo, "show", "--name-only", "--format=", sha).split()
    assert sorted(files) == ["a.py", "made.py"]
    assert git(repo, "log", "-1", "--format=%an", sha).strip() == "Test User"
    assert "M  b.py" in git(repo, "status", "--porcelain")  # the user's staged change is still staged


def test_commit_nothing_raises(repo: Path) -> None:
    cps = Checkpoints(repo, "sess-7")
    cps.snapshot("turn 1")
    with pytest.raises(ToolError, match="nothing to commit"):
        cps.commit("nothing")


def test_not_a_git_repo(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    cps = Checkpoints(plain, "sess")
    assert "not a git repository" in (cps.available() or "")
    assert cps.snapshot("x") is None
    assert cps.diff() == ""
    with pytest.raises(ToolError, match="not a git repository"):
        cps.undo()
    assert list_sessions_with_checkpoints(plain) == []


def test_no_global_identity_needed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    cps = Checkpoints(repo, "sess-8")
    sha = cps.snapshot("no identity")
    assert git(repo, "log", "-1", "--format=%an <%ae>", sha).strip() == "pith <pith@localhost>"


def test_subfolder_root_limits_undo(repo: Path) -> None:
    cps = Checkpoints(repo / "pkg", "sess-9")
    cps.snapshot("turn 1")
    pith_write(cps, repo, "pkg/c.py", "c = 9\n")
    (repo / "a.py").write_text("outside the root\n")
    cps.undo()
    assert (repo / "pkg" / "c.py").read_text() == "c = 2\n"
    assert (repo / "a.py").read_text() == "outside the root\n"


def test_list_sessions(repo: Path) -> None:
    Checkpoints(repo, "alpha").snapshot("first")
    Checkpoints(repo, "beta/odd id").snapshot("second")
    ids = {row["session_id"] for row in list_sessions_with_checkpoints(repo)}
    assert ids == {"alpha", "beta-odd-id"}


def test_edit_tool_then_undo(repo: Path) -> None:
    import asyncio

    from tools.base import ToolContext
    from tools.edit import EditTool, WriteFileTool

    ctx = ToolContext(root=repo)
    cps = Checkpoints(repo, "sess-10")
    original = tree_files(repo)
    cps.snapshot("before edits")
    edit, write = EditTool(), WriteFileTool()
    done = asyncio.run(edit.run(edit.parse({"path": "pkg/c.py", "old": "c = 2", "new": "c = 42"}), ctx))
    cps.record(done.data["file_edits"])
    done = asyncio.run(write.run(write.parse({"path": "docs/new.md", "content": "# hi\n"}), ctx))
    cps.record(done.data["file_edits"])
    assert "+c = 42" in cps.diff()
    cps.undo()
    assert tree_files(repo) == original


def test_unborn_repo_odd_names_symlinks_and_modes(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q")
    (root / "spaced name ü.txt").write_text("one\n")
    (root / "tool.sh").write_text("#!/bin/sh\n")
    (root / "tool.sh").chmod(0o755)
    (root / "ln").symlink_to("tool.sh")
    cps = Checkpoints(root, "fresh")
    original = tree_files(root)
    cps.snapshot("first")
    pith_write(cps, root, "spaced name ü.txt", "two\n")
    (root / "tool.sh").chmod(0o644)  # by a command, not pith's edit tools: undo reports it, leaves it
    pith_write(cps, root, "ln", None)
    pith_write(cps, root, "x/y", "dir replaces nothing\n")
    assert "spaced name ü.txt" in cps.diff()
    message = cps.undo()
    assert "not touched" in message and "tool.sh" in message
    assert tree_files(root) == original
    assert not (root / "tool.sh").stat().st_mode & 0o111 and (root / "ln").is_symlink()
    assert not (root / "x").exists()
    assert git(root, "status", "--porcelain").count("??") == 3  # still untracked, nothing staged


def test_commit_with_deleted_untracked_file(repo: Path) -> None:
    (repo / "scratch.txt").write_text("untracked\n")
    cps = Checkpoints(repo, "sess-11")
    cps.snapshot("turn 1")
    (repo / "scratch.txt").unlink()
    pith_write(cps, repo, "a.py", "a = 3\n")
    sha = cps.commit("session work")
    assert git(repo, "show", "--name-only", "--format=", sha).split() == ["a.py"]


def test_undo_skips_checkpoints_that_match_the_tree(tmp_path: Path) -> None:
    from tests.conftest import make_repo
    from tools.checkpoint import Checkpoints

    repo = make_repo(tmp_path / "r", {"a.txt": "one\n"})
    cps = Checkpoints(repo, "s1")
    cps.snapshot("before turn 1")
    pith_write(cps, repo, "a.txt", "two\n")
    cps.snapshot("before turn 2")  # the turn's edit then failed: this checkpoint records no file
    message = cps.undo()
    assert (repo / "a.txt").read_text() == "one\n" and "before turn 1" in message
    with pytest.raises(ToolError, match="no checkpoints left"):
        cps.undo()
