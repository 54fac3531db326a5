"""`pith batch` end to end with the scripted model: statuses, patches, isolation, summary, resume, Ctrl-C."""
from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from agent.batch.results import summarize
from tests.conftest import PITH, pith_env
from tests.batch.test_batch_support import make_batch, results, run_batch_cli, snapshot, worktree_count

pytestmark = pytest.mark.xdist_group("batch")  # one worker: the module's batch run (~8 s) happens once

EXPECTED = {
    "calc-solved": ("solved", True, "finished"),
    "greet-solved": ("solved", True, "finished"),
    "greet-notest": ("solved", None, "finished"),
    "calc-failed": ("failed", False, "finished"),
    "greet-limit": ("limit_reached", False, "limit_reached"),
    "calc-crash": ("crashed", None, None),
    "missing-repo": ("error", None, None),
    "greet-hang": ("timeout", None, "interrupted"),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full batch run (8 tasks, 2 workers), shared by the tests below."""
    tmp = tmp_path_factory.mktemp("batch")
    tasks, repos = make_batch(tmp)
    before = [snapshot(r) for r in repos]
    out = tmp / "out"
    proc = run_batch_cli(tasks, out, "--workers", "2", "--task-timeout", "8")
    return {"tmp": tmp, "tasks": tasks, "repos": repos, "before": before, "out": out, "proc": proc}


def test_each_task_recorded_with_its_status(batch: dict[str, Any]) -> None:
    proc = batch["proc"]
    assert proc.returncode == 1, proc.stderr  # completed, not all solved
    got = results(batch["out"])
    assert set(got) == set(EXPECTED)
    for tid, (status, verified, agent_status) in EXPECTED.items():
        r = got[tid]
        assert (r["status"], r["verified"], r["agent_status"]) == (status, verified, agent_status), (tid, r)
        assert isinstance(r["wall_time"], float) and r["wall_time"] >= 0
    assert got["greet-limit"]["exit_code"] == 3 and got["greet-limit"]["steps"] == 4
    assert got["calc-crash"]["exit_code"] == 2 and "not JSON" in got["calc-crash"]["error"]
    assert "repo path does not exist" in got["missing-repo"]["error"]
    assert got["calc-solved"]["input_tokens"] == 450 and got["calc-solved"]["output_tokens"] == 23
    assert got["calc-solved"]["test_exit"] == 0 and got["calc-failed"]["test_exit"] == 1


def test_patches_and_session_logs(batch: dict[str, Any]) -> None:
    got = results(batch["out"])
    patch = Path(got["calc-solved"]["patch"])
    assert patch == batch["out"] / "patches" / "calc-solved.patch"
    text = patch.read_text()
    assert "-    return a - b" in text and "+    return a + b" in text and "__pycache__" not in text
    assert "hello" in Path(got["greet-solved"]["patch"]).read_text()
    assert got["calc-failed"]["patch"] is None  # nothing changed, no patch file
    for tid in ("calc-solved", "greet-limit", "greet-hang"):
        log = Path(got[tid]["session_log"])
        assert log.parent == batch["out"] / "sessions" and log.is_file()
    # the patch applies to the source repo's commit
    check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=batch["repos"][0], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr


def test_sources_untouched_and_worktrees_removed(batch: dict[str, Any]) -> None:
    for repo, before in zip(batch["repos"], batch["before"]):
        assert snapshot(repo) == before
        assert worktree_count(repo) == 1
    assert list((batch["out"] / "work").iterdir()) == []
    ps = subprocess.run(["pgrep", "-f", "sleep 61.5"], capture_output=True, text=True)
    assert ps.stdout.strip() == "", "the hung task's command outlived its timeout"


def test_summary_matches_results(batch: dict[str, Any]) -> None:
    records = list(results(batch["out"]).values())
    summary = json.loads((batch["out"] / "summary.json").read_text())
    assert summary == json.loads(json.dumps(summarize(records)))
    assert summary["counts"] == {"solved": 3, "failed": 1, "limit_reached": 1, "error": 1, "crashed": 1,
                                 "timeout": 1}
    for key in ("input_tokens", "output_tokens", "steps"):
        total = sum(r[key] for r in records)
        assert summary["totals"][key] == total
        assert f"{total:,}" in batch["proc"].stdout
    assert summary["totals"]["wall_time"] == pytest.approx(sum(r["wall_time"] for r in records))
    assert "solved 3, failed 1, limit_reached 1, error 1, crashed 1, timeout 1" in batch["proc"].stdout
    lines = [x for x in batch["proc"].stderr.splitlines() if x.startswith("calc-solved: solved")]
    assert lines and "done" in lines[0]  # plain progress lines when stderr is not a TTY


def test_rerun_skips_finished_and_resumes_missing(batch: dict[str, Any]) -> None:
    out = batch["out"]
    again = run_batch_cli(batch["tasks"], out, "--workers", "2", "--task-timeout", "8")
    assert "8 tasks already in" in again.stderr
    assert len(results(out)) == 8 and again.returncode == 1
    # drop two records (one of them cut short, as a crash mid-write would): only those run again
    lines = (out / "results.jsonl").read_text().splitlines()
    keep = [x for x in lines if json.loads(x)["id"] not in ("calc-solved", "calc-failed")]
    (out / "results.jsonl").write_text("\n".join(keep) + "\n" + '{"id": "calc-solved", "sta')
    third = run_batch_cli(batch["tasks"], out, "--workers", "2", "--task-timeout", "8")
    assert "6 tasks already in" in third.stderr
    got = results(out)
    assert len(got) == 8 and got["calc-solved"]["status"] == "solved" and got["calc-failed"]["status"] == "failed"
    assert "calc-solved: solved" in third.stderr and "greet-solved" not in third.stderr


def test_ctrl_c_keeps_finished_and_leaves_no_worktrees(tmp_path: Path) -> None:
    tasks, repos = make_batch(tmp_path)
    keep = [x for x in tasks.read_text().splitlines() if json.loads(x)["id"] in ("greet-notest", "greet-hang")]
    tasks.write_text("\n".join(keep) + "\n")
    out = tmp_path / "out"
    args = [PITH, "batch", str(tasks), "--out", str(out), "--workers", "2", "--no-plan"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=pith_env(tmp_path / "s"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((out / "results.jsonl").is_file() and subprocess.run(
            ["pgrep", "-f", "sleep 61.5"], capture_output=True).returncode == 0):
        time.sleep(0.2)
    assert "greet-notest" in (out / "results.jsonl").read_text()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "resume" in stderr
    assert list(results(out)) == ["greet-notest"]  # the unfinished task is not recorded: a re-run does it
    assert worktree_count(repos[1]) == 1 and list((out / "work").iterdir()) == []
    assert subprocess.run(["pgrep", "-f", "sleep 61.5"], capture_output=True).returncode == 1
