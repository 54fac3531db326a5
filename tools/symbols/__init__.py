"""Symbol-level retrieval: tree-sitter tag index, outline, read_symbol, find_definitions, find_references."""
from __future__ import annotations

from .api import FindDefinitionsTool, FindReferencesTool, OutlineTool, ReadSymbolTool
from .index import SymbolIndex, get_index
from .lookup import SymbolLocation, locate

__all__ = ["OutlineTool", "ReadSymbolTool", "FindDefinitionsTool", "FindReferencesTool",
           "SymbolLocation", "locate", "SymbolIndex", "get_index"]
