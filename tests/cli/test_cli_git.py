"""`pith undo`, `pith diff` and `--commit` on a real repo after a real headless run."""
from __future__ import annotations

from pathlib import Path

from agent.fakes.openai import FakeOpenAIServer
from tests.conftest import git, pith_in_process, run_pith
from tests.frontends.test_headless import FIX_SCRIPT


def test_diff_undo_and_commit(demo_repo: Path, session_dir: Path) -> None:
    original = (demo_repo / "shop/cart.py").read_text()
    with FakeOpenAIServer([dict(s) for s in FIX_SCRIPT]) as server:
        proc = pith_in_process(["run", "-m", "openai/fake", "--api-base", server.base_url, "fix it"], demo_repo,
                               session_dir)
    assert proc.returncode == 0, proc.stderr
    fixed = (demo_repo / "shop/cart.py").read_text()
    assert fixed != original
    shown = run_pith(["diff"], demo_repo, session_dir)
    assert shown.returncode == 0 and "+        return round_cents(subtotal * (100 - percent) / 100)" in shown.stdout
    undone = run_pith(["undo"], demo_repo, session_dir)
    assert undone.returncode == 0, undone.stderr
    assert (demo_repo / "shop/cart.py").read_text() == original
    assert git(demo_repo, "status", "--porcelain").strip() == ""
    again = run_pith(["undo"], demo_repo, session_dir)
    assert again.returncode == 1 and "no pith checkpoints" in again.stderr


def test_commit_flag_commits_changes(demo_repo: Path, session_dir: Path) -> None:
    with FakeOpenAIServer([dict(s) for s in FIX_SCRIPT]) as server:
        proc = pith_in_process(["run", "--commit", "-m", "openai/fake", "--api-base", server.base_url, "fix it"],
                               demo_repo, session_dir)
    assert proc.returncode == 0 and "committed" in proc.stderr
    log = git(demo_repo, "log", "--format=%s", "-n", "1")
    assert log.startswith("pith: Applied the discount")
    assert git(demo_repo, "status", "--porcelain").strip() == ""


def test_undo_outside_git_repo(tmp_path: Path, session_dir: Path) -> None:
    proc = run_pith(["undo"], tmp_path, session_dir)
    assert proc.returncode == 2 and "not a git repository" in proc.stderr
