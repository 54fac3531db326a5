"""The batch driver: skip finished tasks, run the rest on a local pool (or Ray), record each result as it lands."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TextIO

from agent.batch.job import JobOptions, Tracker, run_task
from agent.batch.results import Progress, ResultStore, summarize, summary_table
from agent.batch.tasks import BatchTask
from agent.batch.worktree import prune_source, remove_leftovers

INTERRUPTED = 130


def local_results(tasks: list[BatchTask], opts: JobOptions, workers: int) -> Iterator[dict[str, Any]]:
    """Records as tasks finish on a thread pool; each task's agent runs in its own process group."""
    tracker = Tracker()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pith-batch")
    futures = [pool.submit(run_task, t.to_dict(), opts.to_dict(), tracker) for t in tasks]
    finished = False
    try:
        for future in as_completed(futures):
            yield future.result()
        finished = True
    finally:
        if not finished:  # Ctrl-C or the consumer stopped: kill the agents, let each thread remove its worktree
            tracker.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def clean(out_dir: Path, tasks: list[BatchTask]) -> None:
    """Remove leftover checkouts under DIR/work and prune the source repos' worktree records."""
    remove_leftovers(out_dir / "work")
    for repo in sorted({t.repo for t in tasks if not t.is_url}):
        prune_source(Path(repo))


def pending_tasks(tasks: list[BatchTask], store: ResultStore, err: TextIO) -> list[BatchTask]:
    """Tasks without a record yet (a re-run resumes where the last one stopped)."""
    done = store.done_ids()
    pending = [t for t in tasks if t.id not in done]
    skipped = len(tasks) - len(pending)
    if skipped:
        print(f"batch: {skipped} task{'s' if skipped != 1 else ''} already in {store.path}, skipped", file=err)
    return pending


def record_all(results: Iterator[dict[str, Any]], store: ResultStore, progress: Progress, workers: int) -> bool:
    """Write each record as it arrives; False when interrupted (unfinished tasks stay unrecorded)."""
    left = progress.total
    progress.started_task(min(workers, left))
    try:
        for record in results:
            left -= 1
            progress.finished(store.add(record), min(workers, left))
    except KeyboardInterrupt:
        return False
    finally:
        close = getattr(results, "close", None)
        if close:
            close()
    return True


def run_batch(tasks: list[BatchTask], opts: JobOptions, workers: int, ray_address: str | None = None,
              out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run every unfinished task; print the summary; 0 all solved, 1 some not, 130 interrupted."""
    out, err = out or sys.stdout, err or sys.stderr
    out_dir = Path(opts.out_dir)
    for sub in ("work", "sessions", "logs", "patches"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    store = ResultStore(out_dir)
    store.repair()
    clean(out_dir, tasks)
    pending = pending_tasks(tasks, store, err)
    progress = Progress(len(pending), err)
    completed = True
    try:
        if pending:
            if ray_address:
                from agent.batch.ray_runner import ray_results

                results = ray_results(pending, opts, workers, ray_address)
            else:
                results = local_results(pending, opts, workers)
            completed = record_all(results, store, progress, workers)
    except KeyboardInterrupt:
        completed = False
    finally:
        progress.close()
        clean(out_dir, tasks)
    return finish(tasks, store, completed, out, err)


def finish(tasks: list[BatchTask], store: ResultStore, completed: bool, out: TextIO, err: TextIO) -> int:
    """Print the summary of everything in results.jsonl, save it as summary.json; the exit code."""
    import json

    records = store.load()
    summary = summarize(records)
    (store.out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(summary_table(summary), file=out, flush=True)
    if not completed:
        print(f"batch: interrupted; finished tasks are in {store.path}; run the same command again to resume",
              file=err)
        return INTERRUPTED
    ids = {t.id for t in tasks}
    mine = [r for r in records if r["id"] in ids]
    return 0 if all(r.get("status") == "solved" for r in mine) else 1
