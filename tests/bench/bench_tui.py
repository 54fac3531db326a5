"""TUI figures: first paint and session-ready of the real `pith` under tmux, key echo and memory at 500 turns.

Run: python tests/bench/bench_tui.py   (needs tmux; about a minute)
"""
from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PITH = str(Path(sys.executable).parent / "pith")
SCRIPT = ROOT / "agent" / "demo" / "demo_script.jsonl"


def rss_mb() -> float:
    """This process's resident memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tmux_times(repo: Path, sessions: Path, runs: int = 3) -> list[tuple[float, float]]:
    """(first paint, session ready) in seconds from spawning `pith` in an 80x24 tmux, polled every 10 ms."""
    out = []
    for n in range(runs):
        name = f"pith-bench-{os.getpid()}-{n}"
        cmd = f"cd {repo} && PITH_SESSION_DIR={sessions} {PITH} -m scripted:{SCRIPT}"
        start = time.perf_counter()
        subprocess.run(["tmux", "new", "-d", "-s", name, "-x", "80", "-y", "24", cmd], check=True)
        painted = ready = None
        while ready is None and time.perf_counter() - start < 30:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            now = time.perf_counter() - start
            if painted is None and "Ask pith to do something" in screen:
                painted = now
            if "│ idle" in screen:
                ready = now
            time.sleep(0.01)
        subprocess.run(["tmux", "send-keys", "-t", name, "C-q"])
        time.sleep(1.0)
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        out.append((painted or float("nan"), ready or float("nan")))
    return out


async def at_500_turns() -> dict[str, float]:
    """Key echo (key event to composer text) and RSS after rendering 500 turns in the app."""
    from agent.settings.config import Settings
    from agent.frontends.tui.app import PithApp
    from agent.frontends.tui.launch import Launch
    from tests.frontends.tui.test_tui_perf import input_latency, one_turn

    before = rss_mb()
    app = PithApp(Launch(settings=Settings(model="scripted"), root=Path("/repo")), autostart=False, frozen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        empty = await input_latency(app, "abcdefghij")
        app.query_one("#composer").clear()  # type: ignore[attr-defined]
        for i in range(500):
            for event in one_turn(i):
                app.on_session_event(event)
            if i % 25 == 0:
                await pilot.pause()
        await pilot.pause(0.5)
        loaded = await input_latency(app, "the quick brown fox jumps over the lazy dog")
        after = rss_mb()
    return {"empty_median_ms": statistics.median(empty) * 1000,
            "median_ms": statistics.median(loaded) * 1000,
            "p95_ms": sorted(loaded)[int(len(loaded) * 0.95)] * 1000, "max_ms": max(loaded) * 1000,
            "rss_before_mb": before, "rss_after_mb": after}


def main() -> None:
    """Print the figures."""
    from agent.demo import prepare_repo

    with tempfile.TemporaryDirectory() as tmp:
        repo = prepare_repo(Path(tmp))
        times = tmux_times(repo, Path(tmp) / "sessions")
    for paint, ready in times:
        print(f"tmux 80x24, scripted model: first paint {paint * 1000:.0f} ms, session ready {ready * 1000:.0f} ms")
    figures = asyncio.run(at_500_turns())
    print(f"key echo, empty UI: median {figures['empty_median_ms']:.1f} ms")
    print(f"key echo after 500 turns: median {figures['median_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
          f"max {figures['max_ms']:.1f} ms")
    print(f"RSS: {figures['rss_before_mb']:.0f} MB before the app, {figures['rss_after_mb']:.0f} MB after 500 turns")


if __name__ == "__main__":
    main()
