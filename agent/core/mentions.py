"""`@path` and `@path:Name` mentions: what pith attaches to a user message (a file's outline or a symbol's code)."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from agent.core.host import SessionHost
from agent.core.user_shell import drain_pending
from tools.base import ToolContext, ToolError
from tools.languages import language_for
from tools.paths import rel, resolve

MENTION = re.compile(r"(?<![\w@/])@((?:[\w.\-]+/)*[\w.\-]+/?)(?::([A-Za-z_][\w.]*))?")
TRAILING = ".,;:!?)]}'\""
TEXT_CHARS = 8000
TOTAL_CHARS = 24000
HEADER = "[pith attached this for the @mentions above]"


@dataclass(frozen=True)
class Mention:
    """One mention of an existing path (relative to the root), with an optional symbol name."""

    path: str
    symbol: str = ""

    @property
    def label(self) -> str:
        """How the user wrote it, normalised: `@path` or `@path:Name`."""
        return f"@{self.path}:{self.symbol}" if self.symbol else f"@{self.path}"


def _existing(root: Path, raw: str) -> str | None:
    """The mention's path relative to root if it exists inside root (trailing punctuation tolerated), else None."""
    for candidate in (raw, raw.rstrip(TRAILING)):
        if not candidate:
            continue
        try:
            full = resolve(root, candidate)
        except ToolError:
            return None
        if full.exists():
            return rel(root, full)
    return None


def find_mentions(root: Path, text: str) -> list[Mention]:
    """The mentions in `text` that name an existing file or folder, in order, without repeats."""
    found: list[Mention] = []
    for match in MENTION.finditer(text):
        path = _existing(root, match.group(1))
        if path is None:
            continue
        mention = Mention(path, (match.group(2) or "").rstrip("."))
        if mention not in found:
            found.append(mention)
    return found


def symbol_names(root: Path, path: str) -> list[tuple[str, str]]:
    """(qualified name, kind) of each symbol in a file, for `@path:Name` completion ([] if none or unsupported)."""
    from tools.symbols.lazy import view

    try:
        full = resolve(root, path)
        if not full.is_file() or language_for(full) is None:
            return []
        index = view(root, None, one_file=True)  # never waits for a background index build
        rel_path = rel(root, full)
        if index.refresh_file(rel_path) is None:
            return []
        return [(sym.qualname, sym.kind) for sym in index.symbols(rel_path)]
    except (ToolError, OSError):
        return []


async def _run_tool(name: str, args: dict[str, object], ctx: ToolContext) -> str:
    """Run one of the symbol tools the way the model would; its error text on failure."""
    from tools.symbols.api import OutlineTool, ReadSymbolTool

    tool = OutlineTool() if name == "outline" else ReadSymbolTool()
    try:
        return (await tool.run(tool.parse(args), ctx)).text
    except ToolError as exc:
        return f"error: {exc}"


def _text_head(full: Path) -> str:
    """The start of a non-code file (binary files are named, not shown)."""
    from tools.paths import is_binary, read_regular

    try:  # a FIFO or device would block or never end
        data = read_regular(full, full.name, TEXT_CHARS * 4)
    except ToolError as exc:
        return f"error: {exc}"
    if is_binary(data):
        return "(a binary file; not shown)"
    text = data.decode("utf-8", "replace")
    if len(text) > TEXT_CHARS:
        return text[:TEXT_CHARS] + f"\n[… cut at {TEXT_CHARS} characters; read_lines shows the rest]"
    return text


async def attach_one(mention: Mention, ctx: ToolContext) -> tuple[str, str]:
    """(what was attached, the text) for one mention."""
    full = ctx.root / mention.path
    if mention.symbol and full.is_file():
        return "code", await _run_tool("read_symbol", {"symbol": f"{mention.path}:{mention.symbol}"}, ctx)
    if full.is_dir():
        return "folder outline", await _run_tool("outline", {"path": mention.path}, ctx)
    if language_for(full) is not None:
        return "outline", await _run_tool("outline", {"path": mention.path}, ctx)
    return "start of the file", await asyncio.to_thread(_text_head, full)


async def build_attachment(text: str, ctx: ToolContext) -> str:
    """The attachment for every mention in `text` ('' when there is none)."""
    if "@" not in text:
        return ""
    mentions = find_mentions(ctx.root, text)
    if not mentions:
        return ""
    parts = [HEADER]
    used = 0
    for mention in mentions:
        what, body = await attach_one(mention, ctx)
        if used + len(body) > TOTAL_CHARS:
            parts.append(f"--- {mention.label}: not attached (the attachments reached {TOTAL_CHARS} characters); "
                         "use outline or read_symbol ---")
            continue
        used += len(body)
        parts.append(f"--- {mention.label} ({what}) ---\n{body.rstrip()}")
    return "\n".join(parts)


async def attachment_for(session: SessionHost, text: str) -> str:
    """Everything pith adds to this user message: pending `!command` output, then the mentions' attachment."""
    parts = [await drain_pending(session)]
    try:
        parts.append(await build_attachment(text, session.tool_ctx))
    except Exception as exc:  # a failing attachment must not lose the user's message
        parts.append(f"[pith could not attach the @mentions: {exc}]")
    return "\n\n".join(p for p in parts if p)


def attached_summary(attachment: str) -> str:
    """What an attachment holds, in one line: each mention and each `!command` output."""
    parts = [f"{m.group(1)} ({m.group(2)})" for m in re.finditer(r"^--- (@\S+) \(([^)]*)\) ---$", attachment, re.M)]
    parts += [f"output of !{m.group(1)}" for m in re.finditer(r"^\[the user ran `(.*)` in the repository", attachment,
                                                             re.M)]
    return ", ".join(parts) or f"{len(attachment)} characters"
