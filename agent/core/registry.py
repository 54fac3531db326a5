"""The explicit tool registry: the model-facing names are contracts (logs and replays refer to them)."""
from __future__ import annotations

import importlib

from tools.base import Tool

# (tool name, module, class): a tuple, not import side effects.
DEFAULT_TOOLS: tuple[tuple[str, str, str], ...] = (
    ("plan", "agent.core.control", "PlanTool"),
    ("grep", "tools.grep", "GrepTool"),
    ("outline", "tools.symbols", "OutlineTool"),
    ("read_symbol", "tools.symbols", "ReadSymbolTool"),
    ("find_definitions", "tools.symbols", "FindDefinitionsTool"),
    ("find_references", "tools.symbols", "FindReferencesTool"),
    ("read_lines", "tools.files", "ReadLinesTool"),
    ("edit", "tools.edit", "EditTool"),
    ("replace_symbol", "tools.edit", "ReplaceSymbolTool"),
    ("write_file", "tools.edit", "WriteFileTool"),
    ("run", "tools.shell", "RunTool"),
    ("note", "agent.core.control", "NoteTool"),
    ("compact", "agent.core.control", "CompactTool"),
    ("finish", "agent.core.control", "FinishTool"),
)


def default_tools(names: set[str] | None = None) -> dict[str, Tool]:
    """Instantiate the registered tools (optionally a subset), keyed by name."""
    out: dict[str, Tool] = {}
    for name, module, cls in DEFAULT_TOOLS:
        if names is not None and name not in names:
            continue
        out[name] = getattr(importlib.import_module(module), cls)()
    return out
