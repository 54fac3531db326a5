"""Language detection and tree-sitter parsers from the installed grammar wheels (nothing downloaded)."""
from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path
from typing import Any

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
}

# language name -> (module, function returning the language capsule)
GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}


def language_for(path: str | Path) -> str | None:
    """The grammar name for a file path, or None when pith has no grammar for it."""
    return EXTENSIONS.get(Path(path).suffix.lower())


@lru_cache(maxsize=None)
def ts_language(name: str) -> Any:
    """The tree_sitter.Language for a grammar name."""
    from tree_sitter import Language

    module_name, func = GRAMMARS[name]
    module = importlib.import_module(module_name)
    return Language(getattr(module, func)())


def parser_for(name: str) -> Any:
    """A fresh tree_sitter.Parser for a grammar name (parsers are not shared across threads)."""
    from tree_sitter import Parser

    return Parser(ts_language(name))


def error_nodes(name: str, source: bytes, limit: int = 20) -> list[tuple[int, int]]:
    """(line, column) of ERROR and MISSING nodes in `source`, 1-based lines, at most `limit`."""
    tree = parser_for(name).parse(source)
    found: list[tuple[int, int]] = []
    if not tree.root_node.has_error:
        return found
    cursor = tree.walk()
    stack = [tree.root_node]
    del cursor
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append((node.start_point[0] + 1, node.start_point[1]))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return found
