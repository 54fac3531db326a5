"""Write tests/golden/long_session.jsonl: a scripted 100-step session with evictions and compactions.

Usage: python tests/golden/make_long_session.py [--steps 100] [--out PATH]
A small generated repository, the ScriptedModel, a 9,000-token budget and a scripted summariser; the log is then
made stable (fixed id, times and repository path) so the inspector, timeline and compaction view can be pinned to it.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ROOT = "/golden/repo"
SUMMARY = ("## Task\nMap how the inventory package computes stock levels.\n## Decisions\nRead stock.py and "
           "orders.py region by region; no change needed yet.\n## Files changed\nnone\n## Tests and status\n"
           "not run yet\n## Open questions\nwhether reorder() double-counts pending orders")


def make_repo(root: Path) -> None:
    """Two long modules in a committed git repository."""
    for name in ("stock", "orders"):
        body = "".join(f"def {name}_rule_{i}(level: int) -> int:\n    \"\"\"Rule {i} of the {name} policy.\"\"\"\n"
                       f"    return level * {i % 7 + 1} - {i}  # {name} adjustment {i}\n\n" for i in range(160))
        (root / "inventory").mkdir(parents=True, exist_ok=True)
        (root / "inventory" / f"{name}.py").write_text(body)
    git = ["git", "-c", "user.name=golden", "-c", "user.email=golden@pith.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "golden repo"]):
        subprocess.run(git + args, cwd=root, check=True, capture_output=True)


def call(n: int, i: int, name: str, **args: Any) -> dict[str, Any]:
    """One OpenAI-format tool call."""
    return {"id": f"g{n}_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def script(steps: int) -> list[dict[str, Any]]:
    """Plan, then region reads (re-reads now and then), a note every 7 steps, grep every 10, finish."""
    plan = [{"step": "read stock.py", "status": "in_progress"}, {"step": "read orders.py", "status": "pending"},
            {"step": "report", "status": "pending"}]
    turns = [{"role": "assistant", "content": "Planning the read.", "tool_calls": [call(0, 0, "plan", steps=plan)]}]
    for n in range(1, steps - 1):
        module = "stock" if n % 2 else "orders"
        start = 1 + (n * 37) % 560
        calls = [call(n, 0, "read_lines", path=f"inventory/{module}.py", start=start, end=start + 59)]
        if n % 10 == 4:
            calls.append(call(n, 1, "grep", pattern=f"rule_{n % 9}\\b"))
        if n % 7 == 3:
            calls.append(call(n, 2, "note", text=f"FACT-{n // 7 + 1:02d}: {module} rule {n} scales the level"))
        text = f"Step {n}: region {start} of {module}.py; the rules scale the level then subtract the index."
        turns.append({"role": "assistant", "content": text, "tool_calls": calls,
                      "usage": {"prompt_tokens": 0, "completion_tokens": 40}})
    turns.append({"role": "assistant", "content": "Done.", "tool_calls": [call(steps, 0, "finish", summary="mapped")]})
    return turns


def stabilise(text: str, root: Path, session_id: str) -> str:
    """Fixed repository path, session id and times, so the file only changes when behaviour does."""
    out = []
    for n, line in enumerate(text.replace(str(root), ROOT).splitlines()):
        record = json.loads(line)
        if n == 0:
            record.update(session_id="golden-long-session", created="2026-12-01T00:00:00+0000", git_head=None)
        else:
            record["ts"] = 1_800_000_000 + n
            for key in ("duration",):
                if key in record:
                    record[key] = 0.01
            if record.get("session_id") == session_id:
                record["session_id"] = "golden-long-session"
            if record.get("log_path"):
                record["log_path"] = "golden-long-session.jsonl"
        out.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(out) + "\n"


def generate(steps: int, out: Path) -> Path:
    """Run the scripted session in a temporary repository and write the stabilised log to `out`."""
    from agent.backends.scripted import ScriptedModel
    from agent.settings.config import Settings
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    with tempfile.TemporaryDirectory(prefix="pith-golden-") as tmp:
        root = Path(tmp) / "repo"
        make_repo(root)
        settings = Settings(model="scripted:golden", approve="auto", plan=False, max_steps=steps + 5,
                            context_window=200000, context_budget=9000, keep_turns=3)
        session = build_session(settings, root, None, Path(tmp) / "sessions", "Map the stock rules.",
                                model=ScriptedModel(script(steps), name="scripted:golden"))
        session.compact_model = ScriptedModel([{"content": SUMMARY}] * 50, name="summariser")
        result = asyncio.run(run_headless(session, "Map how inventory computes stock levels.", out=io.StringIO()))
        if result.status != "finished":
            raise SystemExit(f"the golden session did not finish: {result.status}")
        text = Path(result.log_path).read_text(encoding="utf-8")
        out.write_text(stabilise(text, root, session.id), encoding="utf-8")
    return out


def main() -> None:
    """Parse the arguments and write the log."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("long_session.jsonl"))
    opts = parser.parse_args()
    print(generate(opts.steps, opts.out))


if __name__ == "__main__":
    main()
