"""Symbol-level retrieval: tree-sitter tag index, outline, read_symbol, find_definitions, find_references.

The index lives in `ctx.cache_dir` (else the user cache folder) under `symbols/<hash of root>.marshal`.
Long cold builds report progress through `ctx.extra["on_progress"](done, total)` when the core sets it;
other tools use `locate(root, "path:Class.method")` to find a symbol's exact byte and line range.
"""
from __future__ import annotations

from .api import FindDefinitionsTool, FindReferencesTool, OutlineTool, ReadSymbolTool
from .index import SymbolIndex, get_index
from .lookup import SymbolLocation, locate

__all__ = ["OutlineTool", "ReadSymbolTool", "FindDefinitionsTool", "FindReferencesTool",
           "SymbolLocation", "locate", "SymbolIndex", "get_index"]
