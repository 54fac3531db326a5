"""Symbol-level retrieval: tree-sitter tag index, outline, read_symbol, find_definitions, find_references.

Lookups never wait for the index: without a complete, fresh one, ripgrep finds the files that may define
a name and tree-sitter tags only those (lazy.py, candidates.py), with the same answers. Sessions build the
persistent index behind (`start_background`, progress through its hook) and re-tag edited files
(`note_edit`). The index lives in `ctx.cache_dir` (else the user cache folder) under
`symbols/<hash of root>.marshal`; other tools use `locate(root, "path:Class.method")` for a symbol's range.
"""
from __future__ import annotations

from .api import FindDefinitionsTool, FindReferencesTool, OutlineTool, ReadSymbolTool
from .index import SymbolIndex, get_index
from .lazy import note_edit, start_background, view
from .lookup import SymbolLocation, locate

__all__ = ["OutlineTool", "ReadSymbolTool", "FindDefinitionsTool", "FindReferencesTool",
           "SymbolLocation", "locate", "SymbolIndex", "get_index", "view", "start_background", "note_edit"]
