"""`pith batch TASKS.jsonl`: many headless runs, each in its own worktree and process, locally or on Ray."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agent.cli.common import ApiBaseOpt, ApproveOpt, ModelOpt, fail


def batch(
    ctx: typer.Context,
    tasks_file: Annotated[Path, typer.Argument(help="JSONL: id, repo, task, optional commit, test, model")],
    out_dir: Annotated[Path, typer.Option("--out", help="results.jsonl, patches/, sessions/, logs/ go here")],
    workers: Annotated[int, typer.Option("--workers", "-j", help="tasks at once (with --ray: most in flight)")] = 2,
    model: ModelOpt = "anthropic/claude-sonnet-4-5",
    api_base: ApiBaseOpt = None,
    max_steps: Annotated[int, typer.Option("--max-steps", help="model calls per task before stopping")] = 50,
    max_cost: Annotated[Optional[float], typer.Option("--max-cost", help="USD per task before stopping")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="agent wall-clock seconds per task")] = None,
    task_timeout: Annotated[Optional[float], typer.Option(
        "--task-timeout", help="hard per-task limit; the process group is killed (default: --timeout + 120, or 3600)",
    )] = None,
    approve: ApproveOpt = "auto",
    no_plan: Annotated[bool, typer.Option("--no-plan", help="do not ask the model for a plan first")] = False,
    ray: Annotated[Optional[str], typer.Option(
        "--ray", help="run as Ray tasks: local (private instance), auto (this node's cluster) or ray://HOST:10001",
    )] = None,
) -> None:
    """Run a batch of tasks headless; results.jsonl is appended as each finishes and a re-run skips them.
    Exit 0 all solved, 1 some not solved, 2 usage error, 130 interrupted."""
    from agent.batch.job import JobOptions
    from agent.batch.tasks import TaskFileError, load_tasks
    from agent.settings.load import provider_of

    resolved = batch_settings(ctx, {"model": model, "api_base": api_base, "max_steps": max_steps,
                                    "max_cost": max_cost, "timeout": timeout, "approve": approve, "plan": not no_plan})
    settings = resolved.settings
    model, api_base, approve = settings.model, settings.api_base, settings.approve
    max_steps, max_cost, timeout, no_plan = settings.max_steps, settings.max_cost, settings.timeout, not settings.plan
    if approve not in ("auto", "never"):
        fail(f"approve must be auto or never in a batch (got {approve!r}): nobody is there to answer; "
             "pass --approve auto or --approve never")
    if workers < 1:
        fail(f"--workers must be at least 1 (got {workers})")
    if task_timeout is not None and task_timeout <= 0:
        fail(f"--task-timeout must be positive (got {task_timeout})")
    try:
        tasks = load_tasks(tasks_file)
    except TaskFileError as exc:
        fail(str(exc))
    if ray is not None:
        check_ray()
    limit = task_timeout or ((timeout + 120) if timeout else 3600.0)
    opts = JobOptions(out_dir=str(out_dir.resolve()), model=model, api_base=api_base, max_steps=max_steps,
                      max_cost=max_cost, timeout=timeout, approve=approve, task_timeout=limit, no_plan=no_plan,
                      api_base_for=None if resolved.origins.get("api_base") == "flag" else provider_of(model))
    raise typer.Exit(run_with_signals(tasks, opts, workers, ray))


def batch_settings(ctx: typer.Context, flags: dict) -> Any:
    """The batch-wide settings through the one settings path (flags > this repository's config > user config)."""
    import os

    from agent.cli.common import explicit_params
    from agent.settings.load import SettingsError, find_root, resolve_settings

    root = find_root(Path(os.getcwd()))[0]
    try:
        resolved = resolve_settings(root, flags, explicit_params(ctx))
    except SettingsError as exc:
        fail(str(exc))
    for notice in resolved.notices:
        typer.echo(f"pith: note: {notice}", err=True)
    return resolved


def check_ray() -> None:
    """Fail early, with the install line, when Ray is missing."""
    from agent.batch.ray_runner import RayMissing, load_ray

    try:
        load_ray()
    except RayMissing as exc:
        fail(str(exc))


def run_with_signals(tasks: list, opts: object, workers: int, ray: str | None) -> int:
    """Run the batch with SIGTERM treated like Ctrl-C, so finished work is kept and worktrees removed."""
    import signal

    from agent.batch.ray_runner import RayMissing
    from agent.batch.runner import run_batch

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        return run_batch(tasks, opts, workers, ray)  # type: ignore[arg-type]
    except RayMissing as exc:
        fail(str(exc))
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(app: typer.Typer) -> None:
    """Add `pith batch`."""
    app.command("batch")(batch)
