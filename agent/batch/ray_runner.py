"""The same per-task function as Ray tasks: `--ray local` (a private instance), `auto`, or `ray://HOST:10001`.

Ray is an optional extra (`pip install 'pith-agent[ray]'`). Each Ray task runs `run_task` on some node: the
checkout goes under the batch folder's path on that node, the agent writes its session log there, and the record
(with the patch text) comes back to the driver, which writes results.jsonl and the patch files.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from agent.batch.job import JobOptions, new_record, run_task
from agent.batch.tasks import BatchTask

CANCEL_WAIT = 15.0


class RayMissing(Exception):
    """Ray is not installed, or the cluster cannot be reached."""


def load_ray() -> Any:
    """Import ray, or say how to install it."""
    try:
        import ray
    except ImportError:
        raise RayMissing("--ray needs Ray: pip install 'pith-agent[ray]'") from None
    return ray


def connect(ray: Any, address: str, workers: int) -> None:
    """`local` starts a private instance with `workers` CPUs; anything else joins that cluster."""
    try:
        if address == "local":
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    except Exception as exc:
        last = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        raise RayMissing(f"cannot connect to Ray at {address!r}: {last}") from None


def crashed_record(task: BatchTask, opts: JobOptions, exc: BaseException) -> dict[str, Any]:
    """The record of a task whose Ray worker died (out of memory, node lost)."""
    record = new_record(task, opts)
    record["status"], record["error"] = "crashed", f"ray: {type(exc).__name__}: {str(exc)[-400:]}"
    return record


def ray_results(tasks: list[BatchTask], opts: JobOptions, workers: int, address: str) -> Iterator[dict[str, Any]]:
    """Records as Ray tasks finish; at most `workers` in flight; Ctrl-C cancels the rest (they clean up)."""
    ray = load_ray()
    connect(ray, address, workers)
    remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
    queue = list(tasks)
    inflight: dict[Any, BatchTask] = {}
    try:
        while queue or inflight:
            while queue and len(inflight) < workers:
                task = queue.pop(0)
                inflight[remote.remote(task.to_dict(), opts.to_dict())] = task
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                task = inflight.pop(ref)
                try:
                    yield ray.get(ref)
                except ray.exceptions.RayError as exc:
                    yield crashed_record(task, opts, exc)
    finally:
        if inflight:  # KeyboardInterrupt inside each task: its finally stops the agent and removes the checkout
            for ref in inflight:
                ray.cancel(ref)
            ray.wait(list(inflight), num_returns=len(inflight), timeout=CANCEL_WAIT)
        ray.shutdown()
