"""Helpers for the batch tests: two small repos, scripted-model files per task, a tasks file (no tests here)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import PITH, git, make_repo, pith_env

PY = sys.executable
CALC_TEST = f"{PY} -c 'import calc; assert calc.add(2, 3) == 5'"
GREET_TEST = f"{PY} -c 'import greet; assert greet.greet(\"ann\") == \"hello ann\"'"


def turn(*calls: tuple[str, dict[str, Any]], tokens: tuple[int, int] = (100, 10)) -> dict[str, Any]:
    """One assistant message with tool calls and usage."""
    return {"role": "assistant", "content": "", "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1]},
            "tool_calls": [{"id": f"c{i}_{name}", "type": "function",
                            "function": {"name": name, "arguments": json.dumps(args)}}
                           for i, (name, args) in enumerate(calls)]}


def fix(path: str, old: str, new: str, check: str) -> list[dict[str, Any]]:
    """Edit, run the check, finish: 3 steps."""
    return [turn(("edit", {"path": path, "old": old, "new": new})), turn(("run", {"command": check}), tokens=(150, 5)),
            turn(("finish", {"summary": "fixed and checked"}), tokens=(200, 8))]


def scripts() -> dict[str, list[dict[str, Any]] | str]:
    """Per-task model scripts (a str is written raw: the malformed one)."""
    reads = [turn(("grep", {"pattern": "def"})) for _ in range(8)]
    return {  # the hung task first: its timeout runs beside the other tasks, not after them
        "greet-hang": [turn(("run", {"command": "sleep 61.5"}))],
        "calc-solved": fix("calc.py", "return a - b", "return a + b", CALC_TEST),
        "greet-solved": fix("greet.py", '"hi " + name', '"hello " + name', GREET_TEST),
        "calc-failed": [turn(("finish", {"summary": "I could not find the bug."}))],
        "greet-notest": [turn(("finish", {"summary": "Nothing to change: greet already works."}))],
        "greet-limit": reads,
        "calc-crash": '{"role": "assistant", "content": "ok"}\n{not json at all\n',
    }


def make_batch(tmp: Path, hang: bool = True) -> tuple[Path, list[Path]]:
    """Two repos, a script per task and the tasks file; returns (tasks file, repos)."""
    calc = make_repo(tmp / "calc", {"calc.py": "def add(a, b):\n    return a - b\n", "README.md": "calc\n"})
    greet = make_repo(tmp / "greet", {"greet.py": "def greet(name):\n    return \"hi \" + name\n"})
    sdir = tmp / "scripts"
    sdir.mkdir()
    lines = []
    for tid, script in scripts().items():
        if tid == "greet-hang" and not hang:
            continue
        path = sdir / f"{tid}.jsonl"
        path.write_text(script if isinstance(script, str) else "".join(json.dumps(t) + "\n" for t in script))
        repo = calc if tid.startswith("calc") else greet
        line: dict[str, Any] = {"id": tid, "repo": str(repo), "task": f"task {tid}", "model": f"scripted:{path}"}
        if tid not in ("greet-notest",):
            line["test"] = CALC_TEST if repo == calc else GREET_TEST
        lines.append(line)
    lines.append({"id": "missing-repo", "repo": str(tmp / "nowhere"), "task": "fix it", "test": "true"})
    tasks = tmp / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return tasks, [calc, greet]


def run_batch_cli(tasks: Path, out: Path, *extra: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """`pith batch` as a user runs it."""
    args = [PITH, "batch", str(tasks), "--out", str(out), "--max-steps", "4", "--no-plan", *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=tasks.parent,
                          env=pith_env(tasks.parent / "unused-sessions"))


def results(out: Path) -> dict[str, dict[str, Any]]:
    """results.jsonl by id (asserting one line per id)."""
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines() if x.strip()]
    by_id = {r["id"]: r for r in lines}
    assert len(by_id) == len(lines), "duplicate ids in results.jsonl"
    return by_id


def snapshot(repo: Path) -> tuple[str, str, dict[str, str]]:
    """(git status --porcelain, worktree list, file hashes) of a source repo."""
    hashes = {str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return git(repo, "status", "--porcelain"), git(repo, "worktree", "list", "--porcelain"), hashes


def worktree_count(repo: Path) -> int:
    """How many worktrees git knows for `repo` (1 = only the main one)."""
    return git(repo, "worktree", "list").count("\n")
