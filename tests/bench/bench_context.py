"""Benchmark the context manager: a scripted 100-step session on a copy of the pith repo, three ways.

Usage: python tests/bench/bench_context.py [--steps 100] [--budget 32000]
Modes: no management, eviction only, eviction + compaction (a scripted summariser answers compactions).
Reports peak and total input tokens (tiktoken, the same counter for all), ratios, and fact/plan recall.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.backends.scripted import ScriptedModel  # noqa: E402
from agent.config import Settings  # noqa: E402
from agent.tokens import count_messages  # noqa: E402

SOURCE = Path(__file__).resolve().parents[2]
PLAN = ["map the context code", "read the loop and session", "run the tests", "write the summary"]
SUMMARY = ("## Task\nReview how pith manages context.\n## Decisions\nRead agent/, tools/ and tests; no change needed.\n"
           "## Files changed\nnone\n## Tests and status\ncollect-only runs of tests/test_context.py pass.\n"
           "## Open questions\nnone")


def copy_repo(target: Path) -> Path:
    """A committed copy of the pith sources (no venv, no caches)."""
    skip = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".pith*")
    shutil.copytree(SOURCE, target, ignore=skip)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@pith.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench copy"]):
        subprocess.run(git + args, cwd=target, check=True, capture_output=True)
    return target


def symbols(root: Path) -> list[tuple[str, str, int]]:
    """(path, qualname, lines) of sizeable top-level functions and classes in agent/ and tools/."""
    out = []
    for path in sorted([*root.glob("agent/**/*.py"), *root.glob("tools/**/*.py")]):
        try:
            tree = ast.parse(path.read_text())
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size >= 15:
                    out.append((str(path.relative_to(root)), node.name, size))
    return out


def call(n: int, i: int, name: str, **args: Any) -> dict[str, Any]:
    """One OpenAI-format tool call."""
    return {"id": f"b{n}_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def plan_call(n: int, done: int) -> dict[str, Any]:
    """The plan with `done` steps finished and the next one in progress."""
    steps = [{"step": s, "status": "done" if k < done else "in_progress" if k == done else "pending"}
             for k, s in enumerate(PLAN)]
    return call(n, 9, "plan", steps=steps)


def step_calls(n: int, root: Path, syms: list[tuple[str, str, int]], rng: random.Random) -> list[dict[str, Any]]:
    """The calls of step `n`: mostly retrieval, a test run every 10 steps, a note every 5."""
    kind = rng.random()
    calls = []
    if n % 10 == 7:
        calls.append(call(n, 0, "run", command=f"{sys.executable} -m pytest --collect-only -q tests/test_context.py"))
    elif kind < 0.45:
        path, name, _ = rng.choice(syms)
        calls.append(call(n, 0, "read_symbol", symbol=f"{path}:{name}"))
    elif kind < 0.7:
        path, _, _ = rng.choice(syms)
        total = len((root / path).read_text().splitlines())
        start = rng.randint(1, max(1, total - 150))
        calls.append(call(n, 0, "read_lines", path=path, start=start, end=start + 199))
    elif kind < 0.85:
        word = rng.choice(["def ", "session", "context", "emit(", "ToolError", "return None", "async def"])
        calls.append(call(n, 0, "grep", pattern=word))
    else:
        path, _, _ = rng.choice(syms)
        calls.append(call(n, 0, "outline", path=path))
    if n % 20 == 5:  # a write: its arguments stay in the history (assistant messages are never evicted)
        body = "".join(f"def check_{n}_{k}(view):\n    return len(view) > {k}  # invariant {k} of step {n}\n"
                       for k in range(30))
        calls.append(call(n, 2, "write_file", path=f"review/check_{n}.py", content=body))
    if n % 5 == 3:
        calls.append(call(n, 1, "note", text=f"FACT-{n // 5 + 1:02d}: finding number {n // 5 + 1} from step {n}"))
    if n in (30, 60, 90):
        calls.append(plan_call(n, n // 30))
    return calls


def script(root: Path, steps: int) -> list[dict[str, Any]]:
    """`steps` assistant turns: plan first, retrieval and notes, finish last."""
    rng = random.Random(5)
    syms = symbols(root)
    turns = [{"role": "assistant", "content": "Planning.", "tool_calls": [plan_call(0, 0)]}]
    for n in range(1, steps - 1):
        text = (f"Step {n}: the last result shows part of how the view is built; next I look at the piece that "
                "decides what stays in context, to check that nothing the model needs later is dropped.")
        turns.append({"role": "assistant", "content": text, "tool_calls": step_calls(n, root, syms, rng)})
    turns.append({"role": "assistant", "content": "Done.", "tool_calls": [call(steps, 0, "finish", summary="reviewed")]})
    return turns


def run_mode(root: Path, turns: list[dict[str, Any]], mode: str, budget: int) -> dict[str, Any]:
    """Run the session in one mode; token figures measured on the requests actually sent."""
    from agent.frontends.headless import run_headless
    from agent.runner import build_session

    settings = Settings(model="scripted:bench", approve="auto", plan=False, max_steps=len(turns) + 5,
                        context_window=200000, context_budget=budget, keep_turns=3)
    model = ScriptedModel(turns)
    session = build_session(settings, root, None, None, "bench", model=model)
    session.context.mode = mode
    summariser = ScriptedModel([{"content": SUMMARY}] * 50, name="summariser")
    session.compact_model = summariser
    out = io.StringIO()
    result = asyncio.run(run_headless(session, "Review how pith manages context.", json_mode=True, out=out))
    tools = [t.schema() for t in session.tools.values()]
    sizes = [count_messages(r, tools) for r in model.requests]
    breaks = sum(json.dumps(b[:-1]) != json.dumps(a[:len(b) - 1]) for b, a in zip(model.requests, model.requests[1:]))
    compact_in = sum(count_messages(r) for r in summariser.requests)
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    final = json.dumps(model.requests[-1])
    tail = model.requests[-1][-1]["content"]
    facts = sum(f"FACT-{k:02d}" in final for k in range(1, 21))
    plan_ok = all(f"{'[x]' if k < 3 else '[>]'} {k + 1}. {s}" in tail for k, s in enumerate(PLAN))
    return {"mode": mode, "status": result.status, "steps": len(sizes), "peak": max(sizes),
            "total": sum(sizes) + compact_in, "compact_input": compact_in,
            "evictions": sum(e["type"] == "context_evicted" for e in events),
            "compactions": sum(e["type"] == "context_compacted" for e in events),
            "over_budget": sum(s > budget for s in sizes), "breaks": breaks, "facts": facts, "plan_ok": plan_ok}


def main() -> None:
    """Run the three modes and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--budget", type=int, default=32000)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pith-bench-ctx-") as tmp:
        root = copy_repo(Path(tmp) / "pith")
        turns = script(root, opts.steps)
        rows = [run_mode(root, turns, mode, opts.budget) for mode in ("off", "evict", "full")]
    base = rows[0]
    print(f"{opts.steps}-step scripted session on a copy of the pith repo, budget {opts.budget} tokens (tiktoken)")
    print(f"{'mode':<22}{'status':<10}{'peak':>8}{'total':>10}{'peak/off':>10}{'total/off':>10}"
          f"{'evict':>7}{'compact':>8}{'breaks':>7}{'>budget':>8}{'facts':>7}{'plan':>6}")
    names = {"off": "no management", "evict": "eviction only", "full": "eviction+compaction"}
    for r in rows:
        print(f"{names[r['mode']]:<22}{r['status']:<10}{r['peak']:>8}{r['total']:>10}{r['peak'] / base['peak']:>10.2f}"
              f"{r['total'] / base['total']:>10.2f}{r['evictions']:>7}{r['compactions']:>8}{r['breaks']:>7}{r['over_budget']:>8}"
              f"{r['facts']:>5}/20{'ok' if r['plan_ok'] else 'LOST':>6}")
    full = rows[2]
    print("breaks: requests whose prefix (all but the scratchpad tail) differs from the previous request's")
    print(f"(eviction+compaction total includes {full['compact_input']} input tokens of summariser calls)")
    ok = all(r["facts"] == 20 and r["plan_ok"] and r["status"] == "finished" for r in rows)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
