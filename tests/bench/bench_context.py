"""Benchmark the context manager on scripted sessions, priced as a prompt cache prices them.

Usage: python tests/bench/bench_context.py [--steps 100]
Sessions: a 10-step one-bug session on the bundled demo repo, and a 100-step review of a copy of the pith repo.
Rows: a bash-only agent (modelled: a 1,300-token fixed prefix, the same observations, a separate final request),
pith with no context management, pith's default (32K budget), and pith with the whole window (`full`).
Cache model (Anthropic's): breakpoints where pith marks them; a request reads the longest prefix written at an
earlier breakpoint (0.1x) and writes the rest up to its last breakpoint (1.25x); everything else is 1x.
Summariser calls count as uncached input. Tokens: tiktoken cl100k, the same counter for every row.
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
from agent.settings.config import Settings  # noqa: E402
from agent.context.tokens import count_messages  # noqa: E402

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


MODEL = "anthropic/claude-sonnet-4-5"  # the scripted model carries this name: 200K window, Anthropic cache marks
BASH_PREFIX = 1300  # tokens: a bash-only agent's system prompt and one tool (mini-swe-agent style)
READ, WRITE = 0.1, 1.25
BUG_TEST = "python3 -m unittest -q tests.test_cart"


def one_bug_script(verify: bool) -> list[dict[str, Any]]:
    """A 10-step fix of the demo repo's bug (9 requests when the last test run is `finish`'s `verify`)."""
    steps = [{"step": "Cart.total applies the discount wrongly", "status": "in_progress"},
             {"step": "fix and test", "status": "pending"}]
    turns = [[call(0, 0, "plan", steps=steps)],
             [call(1, 0, "run", command=BUG_TEST)],
             [call(2, 0, "grep", pattern="def (total|discount_percent)")],
             [call(3, 0, "read_symbol", symbol="shop/cart.py:Cart.total"),
              call(3, 1, "read_symbol", symbol="shop/pricing.py:discount_percent")],
             [call(4, 0, "outline", path="shop/pricing.py")],
             [call(5, 0, "read_lines", path="tests/test_cart.py", start=1, end=40)],
             [call(6, 0, "note", text="Cart.total subtracts the percent as money", at="shop/cart.py:Cart.total")],
             [call(7, 0, "edit", path="shop/cart.py", old="        return round_cents(subtotal - percent)",
                   new="        return round_cents(subtotal * (100 - percent) / 100)")]]
    summary = "Cart.total subtracted the percent as money; it now applies a percentage. Tests pass."
    if verify:
        turns.append([call(8, 0, "finish", summary=summary, verify=BUG_TEST)])
    else:
        turns += [[call(8, 0, "run", command=BUG_TEST)], [call(9, 0, "finish", summary=summary)]]
    return [{"role": "assistant", "content": "Plan first." if n == 0 else None, "tool_calls": calls}
            for n, calls in enumerate(turns)]


def blocks_of(request: list[dict[str, Any]], tools: list[dict[str, Any]],
              prefix: int | None) -> list[tuple[str, int, bool]]:
    """(key, tokens, marked) per cache block: the tools, then each message (`prefix` replaces tools + system)."""
    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: clean(v) for k, v in node.items() if k != "cache_control"}
        return [clean(v) for v in node] if isinstance(node, list) else node

    out = [] if prefix is not None else [(json.dumps(tools), count_messages([], tools), False)]
    for i, message in enumerate(request):
        text = json.dumps(clean(message))
        size = prefix if (prefix is not None and i == 0) else count_messages([clean(message)])
        out.append((text, size, "cache_control" in json.dumps(message)))
    return out


def cache_priced(requests: list[list[dict[str, Any]]], tools: list[dict[str, Any]],
                 prefix: int | None = None) -> dict[str, float]:
    """Input, cache reads and writes and the cache-weighted total of a request sequence (Anthropic's cache)."""
    written: set[str] = set()
    total = reads = writes = 0
    for request in requests:
        blocks = blocks_of(request, tools, prefix)
        keys, running = [], ""
        for key, _, _ in blocks:
            running = str(hash((running, key)))
            keys.append(running)
        marks = [i for i, (_, _, marked) in enumerate(blocks) if marked]
        last = max(marks, default=-1)
        hit = max((i for i in range(last + 1) if keys[i] in written), default=-1)
        sizes = [size for _, size, _ in blocks]
        total += sum(sizes)
        reads += sum(sizes[:hit + 1])
        writes += sum(sizes[hit + 1:last + 1])
        written.update(keys[i] for i in marks)
    return {"input": total, "reads": reads, "writes": writes,
            "weighted": total - reads - writes + READ * reads + WRITE * writes}


def run_mode(root: Path, turns: list[dict[str, Any]], mode: str, budget: int | str | None, task: str,
             prefix: int | None = None) -> dict[str, Any]:
    """Run one scripted session; figures measured on the requests actually sent."""
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    settings = Settings(model=MODEL, approve="auto", plan=False, max_steps=len(turns) + 5, context_budget=budget,
                        keep_turns=2)
    model = ScriptedModel(turns, name=MODEL)
    session = build_session(settings, root, None, None, "bench", model=model)
    session.context.mode = mode
    summariser = ScriptedModel([{"content": SUMMARY}] * 50, name="summariser")
    session.compact_model = summariser
    out = io.StringIO()
    result = asyncio.run(run_headless(session, task, json_mode=True, out=out))
    tools = [t.schema() for t in session.tools.values()]
    priced = cache_priced(model.requests, tools, prefix)
    compact_in = sum(count_messages(r) for r in summariser.requests)
    events = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    final = json.dumps(model.requests[-1])
    fixed = prefix if prefix is not None else session.context.fixed_tokens(tools)
    return {"status": result.status, "requests": len(model.requests) + len(summariser.requests), "fixed": fixed,
            "input": priced["input"] + compact_in, "reads": priced["reads"], "writes": priced["writes"],
            "weighted": priced["weighted"] + compact_in,
            "peak": max(count_messages(r, tools) for r in model.requests),
            "evictions": sum(e["type"] == "context_evicted" for e in events),
            "compactions": sum(e["type"] == "context_compacted" for e in events),
            "facts": sum(f"FACT-{k:02d}" in final for k in range(1, 21)),
            "budget": session.context.budget}


def table(title: str, rows: list[tuple[str, dict[str, Any]]], facts: bool) -> None:
    """Print one table; ratios against the first row."""
    base = rows[0][1]["weighted"]
    print(f"\n{title}")
    print(f"{'':<30}{'budget':>8}{'prefix':>8}{'reqs':>6}{'input':>9}{'c.read':>9}{'c.write':>9}{'weighted':>10}"
          f"{'x':>6}{'peak':>8}{'evict':>6}{'compact':>8}" + (f"{'facts':>7}" if facts else ""))
    for name, r in rows:
        print(f"{name:<30}{r['budget']:>8}{r['fixed']:>8}{r['requests']:>6}{r['input']:>9}{r['reads']:>9}"
              f"{r['writes']:>9}{r['weighted']:>10.0f}{r['weighted'] / base:>6.2f}{r['peak']:>8}{r['evictions']:>6}"
              f"{r['compactions']:>8}" + (f"{r['facts']:>5}/20" if facts else ""))


def main() -> None:
    """Both sessions, every row; exits 1 if a run did not finish or lost a fact."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    opts = parser.parse_args()
    from agent.demo import prepare_repo

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pith-bench-ctx-") as tmp:
        bug = [("bash-only agent (modelled)", "off", None, False, BASH_PREFIX),
               ("pith, no management", "off", None, True, None), ("pith default (32K)", "full", None, True, None)]
        rows = []
        for n, (name, mode, budget, verify, prefix) in enumerate(bug):
            repo = prepare_repo(Path(tmp) / f"bug{n}")
            rows.append((name, run_mode(repo, one_bug_script(verify), mode, budget, "Fix the failing cart test.",
                                        prefix)))
        table("one-bug session (demo repo, 10 steps)", rows, facts=False)
        results += [r for _, r in rows]
        root = copy_repo(Path(tmp) / "pith")
        turns = script(root, opts.steps)
        task = "Review how pith manages context."
        long_rows = [("pith, no management", run_mode(root, turns, "off", "full", task)),
                     ("pith default (32K)", run_mode(root, turns, "full", None, task)),
                     ("pith, full window", run_mode(root, turns, "full", "full", task))]
        table(f"{opts.steps}-step session (a copy of the pith repo)", long_rows, facts=True)
        results += [r for _, r in long_rows]
    print("\nweighted: uncached input + 0.1 x cache reads + 1.25 x cache writes; x: against the first row")
    ok = all(r["status"] == "finished" for r in results) and all(r["facts"] == 20 for _, r in long_rows)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
