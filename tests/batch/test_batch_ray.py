"""The same batch through a local Ray instance gives the same results as the local pool."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.batch.test_batch_support import make_batch, results, run_batch_cli, snapshot, worktree_count

pytestmark = [pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                 reason="ray is not installed (pip install 'pith-agent[ray]')"),
              pytest.mark.slow]  # starts a local Ray instance and runs the batch twice: tens of seconds
SAME = ("status", "verified", "agent_status", "exit_code", "steps", "input_tokens", "output_tokens", "test_exit")


def test_ray_matches_local_pool(tmp_path: Path) -> None:
    tasks, repos = make_batch(tmp_path, hang=False)
    before = [snapshot(r) for r in repos]
    local = run_batch_cli(tasks, tmp_path / "local", "--workers", "2")
    on_ray = run_batch_cli(tasks, tmp_path / "ray", "--workers", "2", "--ray", "local", timeout=400)
    assert local.returncode == on_ray.returncode == 1, on_ray.stderr[-3000:]
    mine, theirs = results(tmp_path / "local"), results(tmp_path / "ray")
    assert set(mine) == set(theirs) and len(mine) == 7
    for tid in mine:
        assert {k: mine[tid][k] for k in SAME} == {k: theirs[tid][k] for k in SAME}, tid
    for tid in ("calc-solved", "greet-solved"):
        assert Path(theirs[tid]["patch"]).read_text() == Path(mine[tid]["patch"]).read_text()
        assert Path(theirs[tid]["patch"]).parent == tmp_path / "ray" / "patches"
    assert on_ray.stdout.splitlines()[0] == local.stdout.splitlines()[0]  # same counts in the summary
    assert [snapshot(r) for r in repos] == before and all(worktree_count(r) == 1 for r in repos)
    again = run_batch_cli(tasks, tmp_path / "ray", "--ray", "local")
    assert "7 tasks already in" in again.stderr and len(results(tmp_path / "ray")) == 7
