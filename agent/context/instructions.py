"""Project instructions: AGENTS.md / CLAUDE.md, `@path` imports resolved as Claude Code does, each text once."""
from __future__ import annotations

import re
from pathlib import Path

INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md")
MAX_INSTRUCTIONS = 8000  # characters over all files; the budget share is applied later (ContextManager.configure)
MAX_DEPTH = 5  # import hops, as in Claude Code
IMPORT = re.compile(r"(?<![\w`@])@((?:\.{1,2}/|~/)?[\w.\-/]*\w)")
FENCE = re.compile(r"^\s*(```|~~~)")


def imports_in(text: str) -> list[str]:
    """`@path` references outside code spans and fenced code blocks, in order."""
    found: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            found += IMPORT.findall(re.sub(r"`[^`]*`", "", line))
    return found


def strip_import_lines(text: str, resolved: set[str]) -> str:
    """The text without lines that only import files (their content follows as its own section)."""
    kept = [line for line in text.splitlines()
            if not (line.strip() and all(w.startswith("@") and w[1:] in resolved for w in line.split()))]
    return "\n".join(kept).strip()


def _resolve(ref: str, base: Path, root: Path) -> Path | None:
    """An import's file, relative to the importing file; only files inside the repository are read."""
    path = (Path.home() / ref[2:]) if ref.startswith("~/") else (base / ref)
    try:
        real = path.resolve()
    except OSError:
        return None
    inside = real == root or root in real.parents
    return real if inside and real.is_file() else None


def project_instructions(root: Path, cwd: Path | None = None) -> str:
    """AGENTS.md / CLAUDE.md at the repo root (and the current folder) with their imports; each text once, capped."""
    root = root.resolve()
    seen: set[Path] = set()
    texts: set[str] = set()
    parts: list[str] = []

    def visit(path: Path, depth: int) -> None:
        if path in seen:
            return
        seen.add(path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        refs = {ref: _resolve(ref, path.parent, root) for ref in imports_in(text)} if depth < MAX_DEPTH else {}
        body = strip_import_lines(text, {ref for ref, real in refs.items() if real})
        if body and body not in texts:
            texts.add(body)
            parts.append(f"# {path.relative_to(root)}\n{body}")
        for real in refs.values():
            if real is not None:
                visit(real, depth + 1)

    folders = [root] + ([cwd.resolve()] if cwd and cwd.resolve() != root and root in cwd.resolve().parents else [])
    for folder in folders:
        for name in INSTRUCTION_FILES:  # a symlink out of the repository (a key file, /proc/self/environ) is skipped
            real = _resolve(name, folder, root)
            if real is not None:
                visit(real, 0)
    text = "\n\n".join(parts)
    if len(text) > MAX_INSTRUCTIONS:
        text = text[:MAX_INSTRUCTIONS] + f"\n[… project instructions cut at {MAX_INSTRUCTIONS} characters]"
    return text
