"""Undo and --commit own only pith's changes: the user's edits, new files and other sessions are never touched."""
from __future__ import annotations

import hashlib
import io
import threading
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from agent.cli.run import commit_changes
from tests.conftest import git, make_repo
from tests.core.test_session import run, session_for, turn
from tools.base import ToolError
from tools.checkpoint import Checkpoints

FILES = {".gitignore": ".env\n", "a.py": "a = 1\n", "b.py": "b = 1\n", "c.py": "c = 1\n"}


def tree_hash(root: Path) -> str:
    """A hash of every file outside .git (names, bytes, symlink targets)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if ".git" in p.relative_to(root).parts or p.is_dir() and not p.is_symlink():
            continue
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(str(p.readlink()).encode() if p.is_symlink() else p.read_bytes())
    return h.hexdigest()


def edits(*pairs: tuple[str, str, str]) -> list[dict]:
    """One scripted turn per (path, old, new) edit, then finish."""
    turns = [turn(("edit", {"path": p, "old": old, "new": new})) for p, old, new in pairs]
    return turns + [turn(("finish", {"summary": "done"}))]


def pith_session(repo: Path, *pairs: tuple[str, str, str]):  # type: ignore[no-untyped-def]
    """Run a scripted session that edits files; returns (session, result)."""
    session = session_for(repo, edits(*pairs))
    return session, run(session)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repo with a local identity and an ignored .env."""
    root = make_repo(tmp_path / "repo", FILES)
    git(root, "config", "user.name", "Repo Owner")
    git(root, "config", "user.email", "owner@example.com")
    (root / ".env").write_text("SECRET=1\n")
    return root


def test_undo_restores_only_pith_files_and_keeps_user_work(repo: Path) -> None:
    session, result = pith_session(repo, ("a.py", "a = 1", "a = 2"), ("b.py", "b = 1", "b = 2"))
    assert result.files_changed == ["a.py", "b.py"]
    (repo / "c.py").write_text("c = user\n")  # the user's own edit of a file pith never touched
    (repo / "mine.txt").write_text("user's new file\n")
    message = Checkpoints(repo, session.id).undo()  # one undo takes back the whole turn
    assert "restored a.py" in message and "restored b.py" in message
    assert "restored mine.txt" not in message and "not touched (changed by commands or by you" in message
    assert (repo / "a.py").read_text() == "a = 1\n" and (repo / "b.py").read_text() == "b = 1\n"
    assert (repo / "c.py").read_text() == "c = user\n" and (repo / "mine.txt").read_text() == "user's new file\n"
    assert (repo / ".env").read_text() == "SECRET=1\n"


def test_undo_refuses_with_the_list_when_the_user_changed_a_pith_file(repo: Path) -> None:
    session, _ = pith_session(repo, ("b.py", "b = 1", "b = 2"))
    (repo / "b.py").write_text("b = 2\nuser_line = True\n")
    (repo / "new_user_file.py").write_text("x = 1\n")
    before = tree_hash(repo)
    with pytest.raises(ToolError, match=r"undo refused, nothing restored.*\n  b\.py \(changed since pith's write\)"):
        Checkpoints(repo, session.id).undo()
    assert tree_hash(repo) == before
    (repo / "b.py").write_text("b = 2\n")  # the user puts pith's version back: now undo may run
    Checkpoints(repo, session.id).undo()
    assert (repo / "b.py").read_text() == "b = 1\n" and (repo / "new_user_file.py").exists()


def test_file_created_by_pith_is_deleted_but_a_user_file_never(repo: Path) -> None:
    session = session_for(repo, [turn(("write_file", {"path": "gen/new.py", "content": "n = 1\n"})),
                                 turn(("finish", {"summary": "done"}))])
    run(session)
    (repo / "gen" / "user.py").write_text("kept\n")
    Checkpoints(repo, session.id).undo()
    assert not (repo / "gen" / "new.py").exists() and (repo / "gen" / "user.py").read_text() == "kept\n"


def test_two_sessions_keep_separate_chains(repo: Path) -> None:
    first, _ = pith_session(repo, ("a.py", "a = 1", "a = 10"), ("c.py", "c = 1", "c = 10"))
    second, _ = pith_session(repo, ("b.py", "b = 1", "b = 20"))
    assert first.id != second.id
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/pith/checkpoints/").split()
    assert sorted(refs) == sorted(Checkpoints(repo, s.id).ref for s in (first, second))
    after_second = (repo / "b.py").read_bytes()
    Checkpoints(repo, first.id).undo()
    assert (repo / "a.py").read_text() == "a = 1\n" and (repo / "c.py").read_text() == "c = 1\n"
    assert (repo / "b.py").read_bytes() == after_second  # the other session's work is untouched
    with pytest.raises(ToolError, match="nothing to undo"):
        Checkpoints(repo, first.id).undo()
    Checkpoints(repo, second.id).undo()
    assert (repo / "b.py").read_text() == "b = 1\n"


def test_same_file_edited_by_two_sessions_is_refused(repo: Path) -> None:
    first, _ = pith_session(repo, ("a.py", "a = 1", "a = 10"))
    pith_session(repo, ("a.py", "a = 10", "a = 20"))
    before = tree_hash(repo)
    with pytest.raises(ToolError, match="a.py"):
        Checkpoints(repo, first.id).undo()
    assert tree_hash(repo) == before


def test_undo_reports_what_it_cannot_restore(repo: Path) -> None:
    session, _ = pith_session(repo, ("a.py", "a = 1", "a = 2"))
    (repo / ".env").unlink()  # as `git clean -dxf` would: ignored, never in a checkpoint
    (repo / "c.py").unlink()  # by a command: not pith's edit tools
    message = Checkpoints(repo, session.id).undo()
    assert "restored a.py" in message
    assert "cannot restore (ignored by git, so never in a checkpoint): .env" in message
    assert "not touched" in message and "c.py" in message and "git restore --source=" in message
    assert not (repo / "c.py").exists()


def test_commit_stages_only_the_session_files(repo: Path) -> None:
    (repo / "c.py").write_text("c = in progress\n")  # the user's unstaged work
    (repo / "staged.py").write_text("s = 1\n")
    git(repo, "add", "staged.py")  # the user's staged work
    (repo / "untracked.txt").write_text("scratch\n")
    session, result = pith_session(repo, ("a.py", "a = 1", "a = 2"))
    err = io.StringIO()
    with redirect_stderr(err):
        commit_changes(session, "change a", result.files_changed)
    assert "committed" in err.getvalue()
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["a.py"]
    assert git(repo, "log", "-1", "--format=%an <%ae>").strip() == "Repo Owner <owner@example.com>"
    status = git(repo, "status", "--porcelain")
    assert " M c.py" in status and "A  staged.py" in status and "?? untracked.txt" in status


def test_commit_skips_a_pith_file_the_user_changed_since(repo: Path) -> None:
    session, result = pith_session(repo, ("a.py", "a = 1", "a = 2"), ("b.py", "b = 1", "b = 2"))
    (repo / "b.py").write_text("b = 2\nuser = 1\n")
    err = io.StringIO()
    with redirect_stderr(err):
        commit_changes(session, "change a and b", result.files_changed)
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["a.py"]
    assert "not committed: b.py (changed since pith wrote it)" in err.getvalue()


def test_commit_falls_back_to_pith_identity_only_without_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global"))
    repo = make_repo(tmp_path / "r", {"a.py": "a = 1\n"})
    session, result = pith_session(repo, ("a.py", "a = 1", "a = 2"))
    with redirect_stderr(io.StringIO()):
        commit_changes(session, "x", result.files_changed)
    assert git(repo, "log", "-1", "--format=%an <%ae>").strip() == "pith <pith@localhost>"


def test_concurrent_writers_lose_no_record(repo: Path) -> None:
    cps = [Checkpoints(repo, "shared") for _ in range(2)]
    cps[0].snapshot("start")
    errors: list[Exception] = []

    def writer(n: int) -> None:
        try:
            for i in range(8):
                cps[n].record([{"path": f"w{n}_{i}.py", "after_hash": "0" * 64, "before_hash": None}])
        except Exception as exc:  # an unlocked race surfaces as a failed update-ref
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(Checkpoints(repo, "shared").owned()) == 16


def test_nothing_to_undo_still_says_what_is_lost(repo: Path) -> None:
    cps = Checkpoints(repo, "commands-only")
    cps.snapshot("before step 1")  # a turn that only ran commands: no file recorded
    (repo / ".env").unlink()
    with pytest.raises(ToolError, match=r"nothing to undo.*\n.*cannot restore \(ignored by git.*\.env"):
        cps.undo()


def test_cli_undo_refusal_lists_files_and_exits_1(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from agent.cli import git as cli_git

    session, _ = pith_session(repo, ("a.py", "a = 1", "a = 2"))
    (repo / "a.py").write_text("a = 2  # reviewed by me\n")
    before = tree_hash(repo)
    app = typer.Typer()
    cli_git.register(app)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["undo", "--session", session.id])
    assert result.exit_code == 1
    assert "undo refused, nothing restored" in result.output and "a.py (changed since pith's write)" in result.output
    assert tree_hash(repo) == before
