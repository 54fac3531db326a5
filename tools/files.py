"""`read_lines`: a numbered window of a file, for non-code files and context around a hit."""
from __future__ import annotations

from tools.base import Args, Tool, ToolContext, ToolError, ToolResult
from tools.paths import is_binary, read_regular, rel, resolve

MAX_LINES = 250
MAX_LINE_CHARS = 400


class ReadLinesParams(Args):
    path: str
    start: int | None = None
    end: int | None = None


class ReadLinesTool(Tool):
    name = "read_lines"
    description = (
        "Numbered lines start..end of a file."
    )
    Params = ReadLinesParams

    async def run(self, args: ReadLinesParams, ctx: ToolContext) -> ToolResult:
        """Return the requested window with line numbers."""
        path = resolve(ctx.root, args.path)
        if path.is_dir():
            raise ToolError(f"{args.path} is a directory; use outline or grep on it")
        if not path.exists():
            raise ToolError(f"{args.path}: no such file")
        data = read_regular(path, args.path)
        if is_binary(data):
            raise ToolError(f"{args.path} is a binary file ({len(data)} bytes); it cannot be read as text")
        lines = data.decode("utf-8", errors="replace").splitlines()
        total = len(lines)
        start = max(1, args.start or 1)
        if total == 0:
            return ToolResult(f"{rel(ctx.root, path)} is empty", data={"region": {"path": rel(ctx.root, path), "start": 1, "end": 0}})
        if start > total:
            raise ToolError(f"start={start} is past the end: {args.path} has {total} lines")
        end = min(total, args.end or start + MAX_LINES - 1, start + MAX_LINES - 1)
        if end < start:
            raise ToolError(f"end={args.end} is before start={start}")
        width = len(str(end))
        body = []
        for n in range(start, end + 1):
            text = lines[n - 1]
            if len(text) > MAX_LINE_CHARS:
                text = text[:MAX_LINE_CHARS] + f" … ({len(lines[n - 1])} chars)"
            body.append(f"{n:>{width}}| {text}")
        name = rel(ctx.root, path)
        head = f"{name} lines {start}-{end} of {total}"
        tail = ""
        if end < total and (args.end is None or args.end > end):
            tail = f"\n… {total - end} more lines; call read_lines with start={end + 1}"
        region = {"path": name, "start": start, "end": end}
        return ToolResult(head + "\n" + "\n".join(body) + tail, data={"region": region})
