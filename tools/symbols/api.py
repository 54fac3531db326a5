"""The four model-facing symbol tools: outline, read_symbol, find_definitions, find_references."""
from __future__ import annotations

import asyncio

from pydantic import Field

from tools.base import Args, Tool, ToolContext, ToolError, ToolResult, plural
from tools.languages import language_for
from tools.paths import rel, resolve

from .index import Progress, SymbolIndex, get_index
from .lookup import lookup, not_found, rank, split_address
from .outline import file_outline, folder_outline
from .read import read_symbol_text
from .refs import find_references_text

MAX_DEFINITIONS = 50


def _progress(ctx: ToolContext) -> Progress | None:
    """The core's progress hook for long index builds (ctx.extra['on_progress'](done, total))."""
    hook = ctx.extra.get("on_progress")
    return hook if callable(hook) else None


def _index(ctx: ToolContext, refresh: bool = True) -> SymbolIndex:
    """The shared index for the workspace."""
    return get_index(ctx.root, ctx.cache_dir, _progress(ctx), refresh=refresh)


class OutlineParams(Args):  # no docstring: pydantic would put it in the model-facing schema
    path: str = Field(description="File or folder, relative to the repository root ('.' for the root)")


class OutlineTool(Tool):
    """Symbols of a file (nested, with line ranges) or a compact map of a folder."""

    name = "outline"
    description = (
        "List the classes, functions and methods of a source file (nested, with line ranges and signatures), "
        "or a compact map of a folder (top-level names per file). Use it to find what to read before reading; "
        "then read_symbol for one definition. Python, JS, TS/TSX, Go, Rust, Java, C, C++."
    )
    Params = OutlineParams

    async def run(self, args: OutlineParams, ctx: ToolContext) -> ToolResult:
        """Outline a file or folder."""
        return await asyncio.to_thread(self._run, args.path, ctx)

    def _run(self, path: str, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        full = resolve(ctx.root, path)
        rel_path = rel(ctx.root, full)
        if full.is_dir():
            return ToolResult(folder_outline(_index(ctx), rel_path), data={"path": rel_path})
        if not full.exists():
            raise ToolError(f"{path}: no such file or folder")
        if language_for(full) is None:
            raise ToolError(f"{path}: no symbol support for this file type; use grep or read_lines")
        index = _index(ctx, refresh=False)
        if index.refresh_file(rel_path) is None:
            raise ToolError(f"{path}: could not be indexed")
        return ToolResult(file_outline(index, rel_path), data={"path": rel_path})


class ReadSymbolParams(Args):  # no docstring: pydantic would put it in the model-facing schema
    symbol: str = Field(description="`path/to/file.py:Class.method`, `path:function`, or bare `Class.method` / "
                                    "`function` (resolved through the index)")
    skeleton: bool = Field(False, description="Show signatures and docstrings only, bodies elided with ...")


class ReadSymbolTool(Tool):
    """Exact source of one symbol with line numbers."""

    name = "read_symbol"
    description = (
        "Read the exact source of one function, method or class (with decorators and docstring, line numbers). "
        "Prefer read_symbol over read_lines for code. Address as `path:Class.method`, `path:function`, or bare "
        "`Class.method`; an ambiguous name lists candidates. skeleton=true shows a class's signatures only."
    )
    Params = ReadSymbolParams

    async def run(self, args: ReadSymbolParams, ctx: ToolContext) -> ToolResult:
        """Read one symbol."""
        return await asyncio.to_thread(self._run, args.symbol, args.skeleton, ctx)

    def _run(self, symbol: str, skeleton: bool, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        rel_path, sym, index = lookup(ctx.root, symbol, ctx.cache_dir, _progress(ctx))
        text, start, end = read_symbol_text(index, rel_path, sym, skeleton)
        region = {"path": rel_path, "start": start, "end": end}
        return ToolResult(text, data={"region": region, "symbol": sym.qualname, "kind": sym.kind})


class NameParams(Args):  # no docstring: pydantic would put it in the model-facing schema
    name: str = Field(description="A symbol name, e.g. `save` or `Model.save`")


class FindDefinitionsTool(Tool):
    """Where a name is defined, from the symbol index."""

    name = "find_definitions"
    description = (
        "Find where a class, function or method is defined across the repository (path:line kind signature), "
        "from a persistent index: near-instant. Accepts `name` or `Class.name`. Then read_symbol to read one."
    )
    Params = NameParams

    async def run(self, args: NameParams, ctx: ToolContext) -> ToolResult:
        """List definitions."""
        return await asyncio.to_thread(self._run, args.name, ctx)

    def _run(self, name: str, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        only, dotted = split_address(ctx.root, name.strip())
        index = _index(ctx)
        last = dotted.rsplit(".", 1)[-1]
        hits = []
        for path, i in index.by_name().get(last, []):
            sym = index.symbols(path)[i]
            if only not in (None, path):
                continue
            if sym.qualname == dotted or sym.qualname.endswith("." + dotted):
                hits.append((path, sym))
        if not hits:
            raise ToolError(not_found(index, None, dotted))
        hits.sort(key=rank)
        out = [f"{plural(len(hits), 'definition')} of '{dotted}'"]
        for path, sym in hits[:MAX_DEFINITIONS]:
            out.append(f"{path}:{sym.sig_line} {sym.kind} {sym.qualname}: {sym.signature}")
        if len(hits) > MAX_DEFINITIONS:
            out.append(f"[cut: {len(hits) - MAX_DEFINITIONS} more (cap {MAX_DEFINITIONS}); narrow with "
                       "Class.name or read_symbol('path:name')]")
        return ToolResult("\n".join(out), data={"count": len(hits)})


class FindReferencesTool(Tool):
    """Uses of a name: ripgrep candidates kept only where tree-sitter sees an identifier."""

    name = "find_references"
    description = (
        "Find where an identifier is used (calls, imports, attribute access), grouped by file with the enclosing "
        "function named for each hit; matches inside strings and comments are dropped. Use before changing a "
        "signature. For text patterns use grep."
    )
    Params = NameParams

    async def run(self, args: NameParams, ctx: ToolContext) -> ToolResult:
        """List references."""
        return await asyncio.to_thread(self._run, args.name, ctx)

    def _run(self, name: str, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        return ToolResult(find_references_text(_index(ctx), name))


