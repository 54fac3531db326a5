"""The four model-facing symbol tools: outline, read_symbol, find_definitions, find_references."""
from __future__ import annotations

import asyncio

from pydantic.json_schema import SkipJsonSchema

from tools.base import Args, Tool, ToolContext, ToolError, ToolResult, plural
from tools.languages import language_for
from tools.paths import check_regular, rel, resolve

from .index import SymbolIndex
from .lazy import LazyView, view
from .lookup import lookup, not_found, rank, split_address
from .outline import file_outline, folder_outline
from .read import read_symbol_text
from .refs import find_references_text

MAX_DEFINITIONS = 50


def _index(ctx: ToolContext, name: str | None = None, one_file: bool = False) -> SymbolIndex:
    """The workspace's index when complete and fresh, else a lazy view holding the files that may define `name`."""
    index = view(ctx.root, ctx.cache_dir, one_file)
    if name and isinstance(index, LazyView):
        index.ensure(name)
    return index


class OutlineParams(Args):  # no docstring: pydantic would put it in the model-facing schema
    path: str


class OutlineTool(Tool):
    """Symbols of a file (nested, with line ranges) or a compact map of a folder."""

    name = "outline"
    description = (
        "Definitions in a file or folder, with lines."
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
            index = _index(ctx)
            listed = index.list_folder(rel_path) if isinstance(index, LazyView) else None
            return ToolResult(folder_outline(index, rel_path, listed), data={"path": rel_path})
        if not full.exists():
            raise ToolError(f"{path}: no such file or folder")
        check_regular(full, path)
        if language_for(full) is None:
            raise ToolError(f"{path}: no symbol support for this file type; use grep or read_lines")
        index = _index(ctx, one_file=True)
        if index.refresh_file(rel_path) is None:
            raise ToolError(f"{path}: could not be indexed")
        return ToolResult(file_outline(index, rel_path), data={"path": rel_path})


class ReadSymbolParams(Args):  # no docstring: pydantic would put it in the model-facing schema
    symbol: str
    skeleton: SkipJsonSchema[bool] = False  # accepted, not advertised: outline shows signatures


class ReadSymbolTool(Tool):
    """Exact source of one symbol with line numbers."""

    name = "read_symbol"
    description = (
        "Numbered source of one definition (`path:Class.method`)."
    )
    Params = ReadSymbolParams

    async def run(self, args: ReadSymbolParams, ctx: ToolContext) -> ToolResult:
        """Read one symbol."""
        return await asyncio.to_thread(self._run, args.symbol, args.skeleton, ctx)

    def _run(self, symbol: str, skeleton: bool, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        where = symbol.split(":", 1)[0].strip() if ":" in symbol else ""
        if where:  # a FIFO or device named as the file: say so (the index never opens one)
            check_regular(resolve(ctx.root, where), where)
        rel_path, sym, index = lookup(ctx.root, symbol, ctx.cache_dir)
        text, start, end = read_symbol_text(index, rel_path, sym, skeleton)
        region = {"path": rel_path, "start": start, "end": end}
        return ToolResult(text, data={"region": region, "symbol": sym.qualname, "kind": sym.kind})


class NameParams(Args):  # no docstring: pydantic would put it in the model-facing schema
    name: str


class FindDefinitionsTool(Tool):
    """Where a name is defined, from the symbol index."""

    name = "find_definitions"
    description = (
        "Where `name` (or `Class.name`) is defined."
    )
    Params = NameParams

    async def run(self, args: NameParams, ctx: ToolContext) -> ToolResult:
        """List definitions."""
        return await asyncio.to_thread(self._run, args.name, ctx)

    def _run(self, name: str, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        only, dotted = split_address(ctx.root, name.strip())
        last = dotted.rsplit(".", 1)[-1]
        index = _index(ctx, last)
        hits = []
        for path, i in index.homes(last):
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
        "Code uses of `name`, by enclosing function."
    )
    Params = NameParams

    async def run(self, args: NameParams, ctx: ToolContext) -> ToolResult:
        """List references."""
        return await asyncio.to_thread(self._run, args.name, ctx)

    def _run(self, name: str, ctx: ToolContext) -> ToolResult:
        """Synchronous body of run."""
        return ToolResult(find_references_text(view(ctx.root, ctx.cache_dir), name))


