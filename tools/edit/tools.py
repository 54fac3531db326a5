"""Model-facing edit tools: `edit`, `replace_symbol`, `write_file`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic.json_schema import SkipJsonSchema

from tools.base import Approval, Args, Tool, ToolContext, ToolError, ToolResult
from tools.edit import gate, matching
from tools.edit.diffs import cap, changed_region, counts, unified_diff
from tools.edit.reindent import leading
from tools.edit.textfile import TextFile, atomic_write, check_writable, load, sha256
from tools.paths import rel, resolve


def _commit(ctx: ToolContext, tf: TextFile, shown: str, after: str, verb: str, note: str = "") -> ToolResult:
    """Gate, write atomically and describe an edit: diff + one summary line, data for the loop."""
    before_bytes = tf.raw if tf.exists else None
    after_bytes = tf.encode(after)
    if after_bytes == before_bytes:
        raise ToolError(f"{shown}: the edit changes nothing (the file already has this content)")
    warning = gate.check(tf.path, shown, before_bytes, after_bytes, ctx.syntax_gate)
    try:
        atomic_write(tf.path, after_bytes, tf.mode)
    except OSError as exc:
        raise ToolError(f"{shown}: not written: {exc.strerror or exc}") from None
    before = tf.text if tf.exists else ""
    diff = unified_diff(before, after, shown)
    added, removed = counts(diff)
    start, end = changed_region(before, after)
    summary = f"{verb} {shown} (+{added} -{removed})" + (f", {note}" if note else "")
    text = cap(diff) + summary + (f"\n{warning}" if warning else "")
    data = {
        "file_edits": [{
            "path": shown, "diff": diff,
            "before_hash": sha256(before_bytes) if before_bytes is not None else None,
            "after_hash": sha256(after_bytes),
        }],
        "region": {"path": shown, "start": start, "end": end},
    }
    if warning:
        data["syntax_warning"] = warning
    return ToolResult(text, data=data)


def _preview(tf: TextFile, shown: str, after: str, verb: str) -> Approval:
    """An approval request carrying the diff the user is asked to accept."""
    diff = unified_diff(tf.text if tf.exists else "", after, shown)
    added, removed = counts(diff)
    return Approval("write", f"{verb} {shown} (+{added} -{removed})", pattern=shown, detail=cap(diff))


def _open(ctx: ToolContext, path: str) -> tuple[TextFile, str]:
    """Resolve a path for writing and load it."""
    real = resolve(ctx.root, path, for_write=True)
    shown = rel(ctx.root, real)
    return load(real, shown), shown


class EditParams(Args):
    path: str
    old: str
    new: str
    replace_all: SkipJsonSchema[bool] = False  # not advertised: the error for several matches names it


class PlannedEdit(Tool):
    """An edit computed first (`_plan`), shown for approval as a diff, then written."""

    read_only = False
    past = "changed"

    def _plan(self, args: Any, ctx: ToolContext) -> tuple[TextFile, str, str, str]:
        """(file, shown path, new text, note) without writing anything; ToolError when it cannot apply."""
        raise NotImplementedError

    def approval(self, args: Any, ctx: ToolContext) -> Approval:
        """Ask with the diff the change would make (a call that cannot apply fails here, before anyone is asked)."""
        tf, shown, after, _ = self._plan(args, ctx)
        return _preview(tf, shown, after, self.name)

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        """Compute the change and write the file atomically."""
        tf, shown, after, note = self._plan(args, ctx)
        return _commit(ctx, tf, shown, after, self.past, note)


class EditTool(PlannedEdit):
    name = "edit"
    description = (
        "Replace `old` (exact text found once) with `new`."
    )
    Params = EditParams
    past = "edited"

    def _plan(self, args: EditParams, ctx: ToolContext) -> tuple[TextFile, str, str, str]:
        """(file, shown path, new text, note) without writing anything."""
        if not args.old:
            raise ToolError("old is empty: quote the text to replace (with context), or use write_file for a whole file")
        if args.old == args.new:
            raise ToolError("old and new are identical: nothing to change")
        tf, shown = _open(ctx, args.path)
        new = tf.adapt_new(args.new)
        found = matching.find(tf.text, args.old, new)
        if found is None:
            raise ToolError(matching.no_match_message(tf.text, args.old, shown))
        if len(found.spans) > 1 and not args.replace_all:
            raise ToolError(
                f"old matches {len(found.spans)} places in {shown}:\n"
                + matching.describe_candidates(tf.text, found.spans)
                + "\nInclude more surrounding lines to make it unique, or set replace_all=true."
            )
        after = matching.apply(tf.text, found.spans)
        note = matching.NOTES[found.layer]
        if len(found.spans) > 1:
            note = f"{len(found.spans)} replacements" + (f", {note}" if note else "")
        return tf, shown, after, note


class WriteFileParams(Args):
    path: str
    content: str


class WriteFileTool(Tool):
    name = "write_file"
    description = (
        "Create a file (overwriting needs approval)."
    )
    Params = WriteFileParams
    read_only = False

    def approval(self, args: WriteFileParams, ctx: ToolContext) -> Approval | None:
        """"overwrite" for an existing file, "write" for a new one."""
        try:
            real = resolve(ctx.root, args.path, for_write=True)
        except ToolError:
            return None
        shown = rel(ctx.root, real)
        lines = args.content.count("\n") + (0 if args.content.endswith("\n") or not args.content else 1)
        if real.exists():
            size = real.stat().st_size if real.is_file() else 0
            try:
                before = load(real, shown).text
            except ToolError:
                before = ""
            detail = cap(unified_diff(before, args.content, shown))
            return Approval("overwrite", f"overwrite {shown} ({size} bytes) with {lines} lines", pattern=shown,
                            detail=detail)
        return Approval("write", f"create {shown} ({lines} lines)", pattern=shown,
                        detail=cap(unified_diff("", args.content, shown)))

    async def run(self, args: WriteFileParams, ctx: ToolContext) -> ToolResult:
        """Create or overwrite the file, keeping an existing file's encoding, line endings and final newline."""
        real = resolve(ctx.root, args.path, for_write=True)
        shown = rel(ctx.root, real)
        if "\x00" in args.content:
            raise ToolError("content contains NUL bytes: write_file only writes text")
        if real.exists():
            tf = load(real, shown)
            content = tf.adapt_new(args.content)
            had_final = tf.text.endswith(("\n", "\r"))
            if content and not had_final and tf.text:
                content = content.rstrip("\r\n")
            elif content and had_final and not content.endswith(("\n", "\r")):
                content += "\n" if tf.eol_mode == "lf" else tf.eol
            return _commit(ctx, tf, shown, content, "overwrote")
        check_writable(real, shown)
        tf = TextFile(path=real, raw=b"", text="")
        return _commit(ctx, tf, shown, args.content, "created")


class ReplaceSymbolParams(Args):
    symbol: str
    new_source: str


class ReplaceSymbolTool(PlannedEdit):
    name = "replace_symbol"
    description = (
        "Replace a whole definition (`path:Class.method`)."
    )
    Params = ReplaceSymbolParams
    past = "replaced"

    def _plan(self, args: ReplaceSymbolParams, ctx: ToolContext) -> tuple[TextFile, str, str, str]:
        """(file, shown path, new text, note) without writing anything."""
        if not args.new_source.strip():
            raise ToolError("new_source is empty: to delete a symbol use edit with its text as old and an empty new")
        try:
            from tools.symbols import locate  # lazy: owned by the symbols tool
        except ImportError:
            raise ToolError("replace_symbol is unavailable (symbol index missing); use edit instead") from None
        loc = locate(Path(ctx.root), args.symbol, cache_dir=ctx.cache_dir)
        real = resolve(ctx.root, str(loc.path), for_write=True)
        shown = rel(ctx.root, real)
        tf = load(real, shown)
        start, end = _line_span(tf, loc.start_line, loc.end_line)
        old_block = tf.text[start:end]
        if loc.name.rsplit(".", 1)[-1] not in old_block:
            raise ToolError(f"{shown}: the symbol index is out of date for {args.symbol}; re-run outline and retry")
        indent = leading(old_block)
        replacement = _reindent_block(tf.adapt_new(args.new_source), indent)
        if old_block.endswith(("\n", "\r")) and not replacement.endswith(("\n", "\r")):
            replacement += tf.eol if tf.eol_mode == "raw" else "\n"
        after = tf.text[:start] + replacement + tf.text[end:]
        return tf, shown, after, f"{loc.kind} {loc.name} (was lines {loc.start_line}-{loc.end_line})"


def _line_span(tf: TextFile, start_line: int, end_line: int) -> tuple[int, int]:
    """Character offsets covering whole lines start_line..end_line (1-based, inclusive, with line ending)."""
    lines = tf.text.splitlines(keepends=True)
    if not 1 <= start_line <= end_line <= len(lines):
        raise ToolError(f"{tf.path.name}: symbol range {start_line}-{end_line} is out of date; re-run outline")
    start = sum(len(line) for line in lines[: start_line - 1])
    end = start + sum(len(line) for line in lines[start_line - 1:end_line])
    return start, end


def _reindent_block(source: str, indent: str) -> str:
    """Shift `source` so its first line sits at `indent` (lines shallower than it are left alone)."""
    lines = source.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    base = leading(lines[0]) if lines else ""
    if base == indent:
        return "\n".join(lines)
    out = []
    for line in lines:
        if not line.strip():
            out.append(line.lstrip(" \t"))
        elif line.startswith(base):
            out.append(indent + line[len(base):])
        else:
            out.append(line)
    return "\n".join(out)
