"""Files that may define a name: one ripgrep pass for the word, then a per-language line test.

The line tests are deliberately loose (a superset of what the tag queries in queries/*.scm capture):
a file is dropped only when no line holding the name can start or carry a definition of it, so the
files tree-sitter then confirms give exactly the answers of the full index.
"""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from functools import lru_cache

from tools.languages import EXTENSIONS, language_for
from tools.rg import rg_path

_WORD = re.compile(r"^\w+$")
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")  # python.scm tags module-level CONSTANT = ... only
# Per language family: lines (with the name as a whole word, spelt N here) that may define it.
_C_LIKE_TAIL = r"|^\s*['\"]?N\b|\bN\s+\w+\s*\("
_RULES: dict[str, str] = {
    "python": r"\b(?:def|class)\s+N\b",
    "go": r"\b(?:func|type|const|var)\b.*\bN\b|^[\s\w,)*]*\bN\b",
    "rust": r"(?:\b(?:fn|struct|enum|union|type|trait|impl|mod|const|static|for)\b|macro_rules!).*\bN\b"
            r"|^[\s&>]*N\b",
    "java": r"\b(?:class|interface|enum|record)\b.*\bN\b|\bN\s*(?:[(<]|$)" + _C_LIKE_TAIL,
    "c": r"\b(?:struct|union|enum|class|namespace|typedef|define|using)\b.*\bN\b"
         r"|\bN\s*(?:[(\[{;,:=)]|$)|}\s*N\b" + _C_LIKE_TAIL,
    "js": r"\b(?:class|function|interface|type|enum|namespace|module)\b.*\bN\b"
          r"|\bN['\"]?\s*(?:[=:(<!?]|$)" + _C_LIKE_TAIL,
}
_FAMILY = {"python": "python", "go": "go", "rust": "rust", "java": "java", "c": "c", "cpp": "c",
           "javascript": "js", "typescript": "js", "tsx": "js"}
# A file type, not --glob: a glob would override .gitignore; [pP]-style classes match any case like language_for.
_TYPES = [arg for ext in EXTENSIONS
          for arg in ("--type-add", "pith:*" + "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c
                                                       for c in ext))] + ["-t", "pith"]


@lru_cache(maxsize=256)
def _line_test(family: str, name: str) -> re.Pattern[str]:
    """The compiled line test of one family for one name."""
    rule = _RULES[family]
    if family == "python" and _CONSTANT.match(name):
        rule += r"|\bN\s*(?:[:=]|\\|$)"
    return re.compile(rule.replace("N", re.escape(name)))


def _command(names: list[str]) -> list[str]:
    """ripgrep printing `path NUL line` for each line holding one of the names (words, else plain text).

    Binary-looking files are searched too (-a): the index decides what it skips, not ripgrep.
    """
    cmd = [rg_path(), "--null", "--no-heading", "--no-line-number", "-a", "-F", "--no-messages",
           "--no-require-git", "--max-filesize", "1M", *_TYPES]
    if all(_WORD.match(name) for name in names):
        cmd.append("-w")
    return cmd + [arg for name in names for arg in ("-e", name)]


def iter_word_lines(root: str, *names: str) -> Iterator[tuple[str, list[str]]]:
    """(relative path, lines holding one of `names`) per code file, streamed as ripgrep finds them.

    ripgrep writes each file's lines together, so a file can be tagged while the search goes on.
    """
    names = tuple(n for n in names if n and "\0" not in n and "\n" not in n)
    if not names:
        return  # no identifier holds these; ripgrep could not take them as patterns
    with subprocess.Popen(_command(list(names)), cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        current, lines = b"", []
        for raw in proc.stdout:
            path, sep, text = raw.partition(b"\0")
            if not sep:
                continue
            if path != current and lines:
                yield _rel(current), lines
                lines = []
            current = path
            lines.append(text.decode("utf-8", "replace").rstrip("\r\n"))
        if lines:
            yield _rel(current), lines


def _rel(path: bytes) -> str:
    """ripgrep's path as a relative path with forward slashes."""
    return path.decode("utf-8", "surrogateescape").replace(os.sep, "/").removeprefix("./")


def may_define(rel: str, name: str, lines: list[str]) -> bool:
    """Whether one of a file's lines holding `name` may be (part of) a definition of it."""
    lang = language_for(rel)
    if lang is None:
        return False
    if not _WORD.match(name):
        return True  # `operator==`, `~Foo`, quoted keys: no line test, every file with the text is parsed
    test = _line_test(_FAMILY[lang], name)
    return any(test.search(line) for line in lines)


def definition_files(root: str, name: str) -> list[str]:
    """Sorted relative paths of the files that may define `name`."""
    return sorted(set(iter_definition_files(root, name)))


def iter_definition_files(root: str, *names: str) -> Iterator[str]:
    """Relative paths of the files that may define one of `names` (one ripgrep pass), as it finds them."""
    for rel, lines in iter_word_lines(root, *names):
        if any(may_define(rel, name, lines) for name in names):
            yield rel


# Names after a definition keyword in any language: the vocabulary for "close names" without an index.
_KEYWORD_NAME = (r"\b(?:def|class|func|fn|struct|enum|union|trait|type|interface|function|mod|namespace|record"
                 r"|define)\s+\*?\s*(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)")


def keyword_names(root: str) -> set[str]:
    """Names that follow a definition keyword anywhere in the code files (one ripgrep pass)."""
    cmd = [rg_path(), "-o", "-N", "--no-filename", "--no-messages", "--no-require-git", "--max-filesize", "1M",
           *_TYPES, "-r", "$1", "-e", _KEYWORD_NAME]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, check=False)
    return set(proc.stdout.decode("utf-8", "replace").split())
