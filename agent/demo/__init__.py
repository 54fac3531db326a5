"""`pith demo`: a bundled sample repo with a failing test, fixed by a scripted session through the real tools."""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from agent.settings.config import Settings, default_session_dir

TASK = "tests/test_cart.py::test_total_with_discount fails (expected 22.50). Find the cause and fix it."


def prepare_repo(target: Path | None) -> Path:
    """Copy the sample repo into `target` (or a new temp dir) and commit it, with a local git identity."""
    dest = (target or Path(tempfile.mkdtemp(prefix="pith-demo-"))) / "shop-demo"
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; remove it or pass another --dir")
    source = resources.files("agent.demo").joinpath("demo_repo")
    with resources.as_file(source) as src:
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=pith demo", "-c", "user.email=demo@pith.invalid"]
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], git + ["commit", "-q", "-m", "sample shop"]):
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)
    return dest


def failing_tests(repo: Path) -> str:
    """The last line of the sample's test run (shows the bug before and the fix after)."""
    proc = subprocess.run([sys.executable, "-m", "unittest", "-q", "tests.test_cart"], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[-1] if lines else "(no output)"


def run_demo(target: Path | None, session_dir: Path | None) -> int:
    """Run the demo end to end; returns the exit code of the scripted run."""
    from agent.backends.scripted import ScriptedModel
    from agent.frontends.headless import exit_code, run_headless
    from agent.compose import build_session

    try:
        repo = prepare_repo(target)
    except (FileExistsError, OSError, subprocess.CalledProcessError) as exc:
        print(f"pith demo: cannot create the sample repo: {exc}", file=sys.stderr)
        return 2
    print(f"Sample repo: {repo}\nBefore: {failing_tests(repo)}\nTask: {TASK}\n")
    script = resources.files("agent.demo").joinpath("demo_script.jsonl")
    with resources.as_file(script) as path:
        model = ScriptedModel.from_file(path)
    model.name = "scripted demo"
    settings = Settings(model="scripted:demo", approve="auto")
    session = build_session(settings, repo, _head(repo), session_dir or default_session_dir(), TASK, model=model)
    # Tests in the sample run with this interpreter's folder first on PATH, whatever the user's shell has.
    session.tool_ctx.shell_env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = asyncio.run(run_headless(session, TASK))
    diff = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True).stdout
    print(f"\nAfter: {failing_tests(repo)}\n\n{diff}")
    print(f"The fixed repo is in {repo}\nThe session log is {result.log_path}")
    print(f"Try: pith replay {result.session_id}    (or: cd {repo} && git diff)")
    return exit_code(result.status)


def _head(repo: Path) -> str | None:
    """HEAD of the sample repo."""
    proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True)
    return proc.stdout.strip() or None
