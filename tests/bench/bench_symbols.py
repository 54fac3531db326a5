"""Benchmark the symbol index: cold build vs ctags, warm query latency, retrieval economy (tokens).

Usage: python tests/bench/bench_symbols.py [DJANGO_DIR [OTHER_DIR]]
Without arguments, the django 5.2 and grpcio 1.85.1 (C/C++) sdists are fetched with pip and
unpacked under /tmp/pith-bench.
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.base import ToolContext  # noqa: E402
from tools.symbols import FindDefinitionsTool, ReadSymbolTool, SymbolIndex  # noqa: E402
from tools.symbols.index import _INDEXES  # noqa: E402

CACHE = Path("/tmp/pith-bench")
PAIRS = 30
ROUNDS = 2  # best of: the machine may be shared


def fetch_sdist(spec: str, name: str) -> Path:
    """Download and unpack an sdist once (cached under /tmp/pith-bench)."""
    target = CACHE / name
    if target.is_dir():
        return next(p for p in target.iterdir() if p.is_dir())
    dl = CACHE / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    prefix = spec.split("=")[0].lower()
    # `--no-binary <name>` (not :all:) so build backends needed for metadata may still come as wheels.
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", prefix, spec,
                    "-d", str(dl)], check=True, capture_output=True)
    archive = next(p for p in dl.iterdir() if p.name.lower().startswith(prefix) and p.name.endswith(".tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return next(p for p in target.iterdir() if p.is_dir())


def timed(fn, *args, **kw) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - start, result


def cold_build(root: Path) -> None:
    """Cold index build (all cores and one core, best of ROUNDS) against `ctags -R` in the same run."""
    counts = {}
    times = {}
    for label, workers in (("all cores", None), ("1 core", 1)) * ROUNDS:
        with tempfile.TemporaryDirectory() as cache:
            index = SymbolIndex(root, Path(cache))
            secs, _ = timed(index.refresh, None, workers)
            times[label] = min(secs, times.get(label, secs))
            counts = (len(index.files), sum(len(e[3] or ()) for e in index.files.values()))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  files indexed {counts[0]}, symbols {counts[1]} ({os.cpu_count()} cores, load average {load})")
    print(f"  cold build: all cores {times['all cores']:.2f} s, 1 core {times['1 core']:.2f} s "
          f"(pool speed-up {times['1 core'] / times['all cores']:.2f}x)")
    if shutil.which("ctags") is None:
        print("  ctags: not installed, ratio column skipped")
        return
    secs = min(timed(subprocess.run, ["ctags", "-R", "-f", os.devnull, "."], cwd=root, capture_output=True)[0]
               for _ in range(ROUNDS))
    print(f"  ctags -R {secs:.2f} s; pith/ctags ratio {times['all cores'] / secs:.2f}x (goal <= 2x)")


def sample_pairs(index: SymbolIndex, prefix: str) -> list[tuple[str, str]]:
    """~30 real (file, function-or-method) pairs with unique addresses, seeded."""
    pairs = []
    for rel, entry in sorted(index.files.items()):
        if rel.startswith(prefix) and rel.endswith(".py") and entry[3]:
            syms = index.symbols(rel)
            names = [s.qualname for s in syms]
            pairs += [(rel, s.qualname) for s in syms if s.kind in ("function", "method")
                      and names.count(s.qualname) == 1 and s.end_line - s.start_line >= 3]
    return random.Random(7).sample(pairs, min(PAIRS, len(pairs)))


def ms(values: list[float]) -> str:
    """Median and max in milliseconds."""
    return f"median {1000 * statistics.median(values):.1f} ms, max {1000 * max(values):.1f} ms"


async def warm(root: Path, pairs: list[tuple[str, str]], cache: Path) -> None:
    """Warm latencies: in-process (index in memory) and a fresh process state (index loaded from disk)."""
    ctx = ToolContext(root=root, cache_dir=cache)
    read, defs = ReadSymbolTool(), FindDefinitionsTool()
    await read.run(read.parse({"symbol": f"{pairs[0][0]}:{pairs[0][1]}"}), ctx)
    t_path, t_bare, t_defs = [], [], []
    for rel, qual in pairs:
        start = time.perf_counter()
        await read.run(read.parse({"symbol": f"{rel}:{qual}"}), ctx)
        t_path.append(time.perf_counter() - start)
        start = time.perf_counter()
        await defs.run(defs.parse({"name": qual.rsplit(".", 1)[-1]}), ctx)
        t_defs.append(time.perf_counter() - start)
        start = time.perf_counter()
        try:
            await read.run(read.parse({"symbol": qual}), ctx)
        except Exception:  # ambiguous bare names are fine for timing
            pass
        t_bare.append(time.perf_counter() - start)
    print(f"  warm read_symbol path:Q      {ms(t_path)}")
    print(f"  warm read_symbol bare Q      {ms(t_bare)}")
    print(f"  warm find_definitions name   {ms(t_defs)}  (goal < 50 ms)")
    _INDEXES.clear()
    start = time.perf_counter()
    await defs.run(defs.parse({"name": pairs[1][1].rsplit(".", 1)[-1]}), ctx)
    print(f"  first query in a new process (index loaded from disk): {1000 * (time.perf_counter() - start):.0f} ms")


def economy(root: Path, pairs: list[tuple[str, str]], cache: Path) -> None:
    """Tokens of read_symbol output vs the whole file, per pair; median ratio."""
    spec = importlib.util.find_spec("litellm")
    if spec and spec.submodule_search_locations:
        os.environ["TIKTOKEN_CACHE_DIR"] = os.path.join(spec.submodule_search_locations[0],
                                                        "litellm_core_utils", "tokenizers")
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base")
    ctx = ToolContext(root=root, cache_dir=cache)
    read = ReadSymbolTool()
    ratios = []
    for rel, qual in pairs:
        text = asyncio.run(read.run(read.parse({"symbol": f"{rel}:{qual}"}), ctx)).text
        whole = (root / rel).read_text(errors="replace")
        ratios.append(len(enc.encode(text)) / max(1, len(enc.encode(whole))))
    print(f"  retrieval economy over {len(pairs)} (file, function) pairs: median read_symbol/whole-file tokens "
          f"{statistics.median(ratios):.3f} ({1 / statistics.median(ratios):.0f}x fewer), "
          f"max {max(ratios):.2f}")


def main() -> None:
    """Run the benchmark on django and one large non-Python tree."""
    django = Path(sys.argv[1]) if len(sys.argv) > 1 else fetch_sdist("django==5.2.*", "django")
    other = Path(sys.argv[2]) if len(sys.argv) > 2 else fetch_sdist("grpcio==1.85.1", "grpcio")
    for label, root in (("django", django), ("non-Python tree", other)):
        print(f"== {label}: {root}")
        cold_build(root)
    print(f"== warm queries and economy on django: {django}")
    with tempfile.TemporaryDirectory() as cache_name:
        cache = Path(cache_name)
        index = SymbolIndex(django, cache)
        index.refresh()
        pairs = sample_pairs(index, "django/")
        asyncio.run(warm(django, pairs, cache))
        economy(django, pairs, cache)


if __name__ == "__main__":
    main()
