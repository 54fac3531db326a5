"""Private checkouts for batch tasks: a detached worktree of a local repo, or a clone of a URL; always removed."""
from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CACHE_EXCLUDES = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/.pytest_cache/**")


class CheckoutError(Exception):
    """The task's repository or commit could not be checked out."""


@dataclass
class Checkout:
    """A task's working copy: where it is, what it started from, and how it was made."""

    path: Path
    base: str
    source: Path | None  # the local repo whose worktree this is; None for a clone


def git(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run git with a local identity; never raises on a non-zero exit."""
    cmd = ["git", "-c", "user.name=pith batch", "-c", "user.email=batch@pith.invalid", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _checked(cwd: Path, *args: str, what: str) -> str:
    """Run git; CheckoutError with git's own message when it fails."""
    proc = git(cwd, *args)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise CheckoutError(f"{what}: {detail[-1] if detail else 'git exit ' + str(proc.returncode)}")
    return proc.stdout.strip()


def _retrying(cwd: Path, *args: str, what: str, attempts: int = 3) -> str:
    """Like _checked, retried briefly: concurrent `worktree add` on one repo can collide on git's lock files."""
    for attempt in range(attempts):
        try:
            return _checked(cwd, *args, what=what)
        except CheckoutError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def prepare(repo: str, is_url: bool, commit: str | None, dest: Path) -> Checkout:
    """Check out `repo` at `commit` (default HEAD) into `dest` without touching the source's working tree."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        remove(dest)
    if is_url:
        _checked(dest.parent, "clone", "--quiet", "--no-checkout", repo, str(dest), what=f"cannot clone {repo}")
        base = _checked(dest, "rev-parse", "--verify", f"{commit or 'HEAD'}^{{commit}}",
                        what=f"no commit {commit or 'HEAD'} in {repo}")
        _checked(dest, "checkout", "--quiet", "--detach", base, what=f"cannot check out {base}")
        return Checkout(path=dest, base=base, source=None)
    source = Path(repo)
    if not source.is_dir():
        raise CheckoutError(f"repo path does not exist: {repo}")
    top = _checked(source, "rev-parse", "--show-toplevel", what=f"{repo} is not a git repository")
    base = _checked(source, "rev-parse", "--verify", f"{commit or 'HEAD'}^{{commit}}",
                    what=f"no commit {commit or 'HEAD'} in {repo}")
    _retrying(Path(top), "worktree", "add", "--quiet", "--detach", str(dest), base,
              what=f"cannot add a worktree of {repo}")
    return Checkout(path=dest, base=base, source=Path(top))


def diff(checkout: Checkout) -> str:
    """Everything the task changed against its base, new files included (binary-safe, caches left out)."""
    _checked(checkout.path, "add", "--all", "--", ".", *CACHE_EXCLUDES, what="cannot stage the task's changes")
    proc = git(checkout.path, "diff", "--cached", "--binary", checkout.base)
    return proc.stdout if proc.returncode == 0 else ""


def remove(path: Path) -> None:
    """Remove a checkout: `git worktree remove --force` + prune for worktrees, then delete whatever is left."""
    common = None
    if (path / ".git").is_file():
        proc = git(path, "rev-parse", "--path-format=absolute", "--git-common-dir", timeout=60)
        common = Path(proc.stdout.strip()) if proc.returncode == 0 else None
    if common is not None:
        git(common, "worktree", "remove", "--force", "--force", str(path), timeout=120)
    shutil.rmtree(path, ignore_errors=True)
    if common is not None:
        git(common, "worktree", "prune", timeout=60)


def remove_leftovers(work_dir: Path) -> list[Path]:
    """Remove checkouts a killed batch left under `work_dir`; returns what was removed."""
    if not work_dir.is_dir():
        return []
    removed = []
    for child in sorted(work_dir.iterdir()):
        if child.is_dir():
            remove(child)
            removed.append(child)
    return removed


def prune_source(repo: Path) -> None:
    """Forget worktree records whose folders are gone (after a crash that skipped `remove`)."""
    if repo.is_dir():
        git(repo, "worktree", "prune", timeout=60)
