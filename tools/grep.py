"""`grep`: ripgrep with --json, respecting .gitignore, capped with counts of what was left out."""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

from pydantic.json_schema import SkipJsonSchema

from tools.base import Args, Tool, ToolContext, ToolError, ToolResult, plural
from tools.paths import check_regular, rel, resolve
from tools.rg import rg_path

MAX_MATCHES = 60
MAX_PER_FILE = 8
MAX_LINE = 200
TIMEOUT = 60.0


class GrepParams(Args):
    pattern: str
    path: str | None = None
    glob: SkipJsonSchema[str | None] = None  # not advertised: a capped result names it
    ignore_case: SkipJsonSchema[bool] = False  # accepted, not advertised: `(?i)` in the pattern does it


class GrepTool(Tool):
    name = "grep"
    description = (
        "Ripgrep regex search under `path` (a file or folder)."
    )
    Params = GrepParams

    async def run(self, args: GrepParams, ctx: ToolContext) -> ToolResult:
        """Run rg --json and summarise the hits."""
        if not args.pattern:
            raise ToolError("empty pattern")
        target = resolve(ctx.root, args.path) if args.path else Path(ctx.root)
        if not target.exists():
            raise ToolError(f"{args.path}: no such file or directory")
        check_regular(target, args.path or ".")  # rg would block forever reading a FIFO it was named
        # --sort path: the same search gives the same output every time (prompt caches, replay --rerun).
        cmd = [rg_path(), "--json", "--sort", "path", "--max-columns", "500", "--max-filesize", "2M"]
        if args.ignore_case:
            cmd.append("-i")
        if args.glob:
            cmd += ["--glob", args.glob]
        cmd += ["-e", args.pattern, "--", str(target)]
        proc = await asyncio.create_subprocess_exec(
            *cmd, cwd=ctx.root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        except asyncio.TimeoutError:
            raise ToolError(f"grep took over {TIMEOUT:.0f}s and was stopped; narrow it with path= or glob=") from None
        finally:
            if proc.returncode is None:  # timed out or cancelled (Ctrl-C, --timeout): never leave rg running
                proc.kill()
                await asyncio.shield(proc.wait())
        if proc.returncode == 2 and not out:
            raise ToolError(f"ripgrep rejected the pattern: {err.decode(errors='replace').strip()[:300]}")
        return _summarise(ctx.root, out, args)


def _summarise(root: Path, out: bytes, args: GrepParams) -> ToolResult:
    """Group matches by file, cap them and say what was left out."""
    hits: dict[str, list[tuple[int, str]]] = defaultdict(list)
    total = 0
    for line in out.splitlines():
        item = json.loads(line)
        if item.get("type") != "match":
            continue
        total += 1
        data = item["data"]
        path = rel(root, Path(data["path"].get("text", "")))
        text = data["lines"].get("text", "").rstrip("\n")
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE] + " …"
        hits[path].append((data["line_number"], text))
    if not total:
        where = f" in {args.path}" if args.path else ""
        return ToolResult(f"no matches for /{args.pattern}/{where}", data={"matches": 0})
    lines: list[str] = []
    shown = 0
    for path, matches in hits.items():
        if shown >= MAX_MATCHES:
            break
        lines.append(f"{path}:")
        for number, text in matches[:MAX_PER_FILE]:
            if shown >= MAX_MATCHES:
                break
            lines.append(f"  {number}: {text}")
            shown += 1
        if len(matches) > MAX_PER_FILE:
            lines.append(f"  … {len(matches) - MAX_PER_FILE} more in this file")
    header = f"{plural(total, 'match', 'matches')} in {plural(len(hits), 'file')}"
    if shown < total:
        header += f" (showing {shown}; narrow with path= or glob=, or a more specific pattern)"
    return ToolResult(header + "\n" + "\n".join(lines), data={"matches": total, "files": len(hits)})
