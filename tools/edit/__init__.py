"""Edit tools: exact-first layered replacement, whole-symbol replacement, file creation."""
from tools.edit.tools import EditTool, ReplaceSymbolTool, WriteFileTool

__all__ = ["EditTool", "ReplaceSymbolTool", "WriteFileTool"]
