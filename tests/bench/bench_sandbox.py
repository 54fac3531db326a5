"""Sandbox overhead: median wall time (and CPU) of the `run` tool running `true`, per sandbox mode.

    python tests/bench/bench_sandbox.py [runs]
"""
from __future__ import annotations

import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools import sandbox  # noqa: E402
from tools.base import ToolContext  # noqa: E402
from tools.shell import RunTool  # noqa: E402


def bench(root: Path, mode: str, runs: int) -> tuple[float, float]:
    """(median wall ms, mean CPU ms of the children) for `runs` calls of `run true`."""
    tool, ctx, times = RunTool(), ToolContext(root=root, extra={"sandbox": mode}), []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)

    async def go() -> None:
        for _ in range(runs):
            start = time.perf_counter()
            result = await tool.run(tool.parse({"command": "true"}), ctx)
            times.append(time.perf_counter() - start)
            assert result.data["exit_code"] == 0, result.text

    asyncio.run(go())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs
    return statistics.median(times) * 1000, cpu * 1000


def main() -> None:
    """Print one line per configuration."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    root = Path(tempfile.mkdtemp()) / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    found = sandbox.support()
    configs = [("off", "off", found), ("workspace-write", "workspace-write", found)]
    if found.kind == "bwrap":
        native = sandbox.Support("landlock+namespaces", found.landlock, True)
        configs.append(("workspace-write (no bwrap)", "workspace-write", native))
    configs.append(("workspace-write (Landlock only)", "workspace-write", sandbox.Support("landlock", found.landlock, False)))
    print(f"sandbox here: {found.kind}, Landlock ABI {found.landlock}; {runs} runs of `run true` each")
    start = time.perf_counter()
    for _ in range(runs):
        subprocess.run(["bash", "-c", "true"], cwd=root, check=True)
    print(f"{'(bare bash -c true, no tool)':34} mean   {(time.perf_counter() - start) / runs * 1000:6.1f} ms wall")
    for label, mode, sup in configs:
        sandbox._SUPPORT["probe"] = sup
        wall, cpu = bench(root, mode, runs)
        print(f"{label:34} median {wall:6.1f} ms wall, {cpu:5.1f} ms CPU")


if __name__ == "__main__":
    main()
