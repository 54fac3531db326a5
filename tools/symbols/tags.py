"""Extract nested symbol definitions from one source file with tree-sitter tag queries (.scm files)."""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from tools.languages import parser_for, ts_language

QUERY_DIR = Path(__file__).parent / "queries"
QUERY_FILES: dict[str, list[str]] = {
    "python": ["python"],
    "javascript": ["ecma", "javascript"],
    "typescript": ["ecma", "typescript"],
    "tsx": ["ecma", "typescript"],
    "go": ["go"],
    "rust": ["rust"],
    "java": ["java"],
    "c": ["c"],
    "cpp": ["cpp"],
}
CONTAINERS = {"class", "struct", "interface", "impl", "trait", "enum", "union", "namespace", "module"}
FUNCTIONS = {"function", "method", "constructor"}
# Kinds that are only found by name when nothing else matches (a Rust impl block, a C++ prototype).
SECONDARY = {"impl", "prototype"}
# Siblings just before a definition that belong to it (decorators, attributes).
LEADING = {"decorator", "attribute_item"}
# Parents whose whole range belongs to the definition when it is their only content.
WRAPPERS = {"decorated_definition", "template_declaration", "export_statement",
            "lexical_declaration", "variable_declaration", "type_declaration"}
SIG_WRAPPERS = {"export_statement", "lexical_declaration", "variable_declaration", "type_declaration"}
MAX_SIGNATURE = 200


class Sym(NamedTuple):
    """One definition; lines are 1-based and the range includes decorators."""

    name: str
    qualname: str
    kind: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    sig_line: int
    signature: str
    parent: int  # index of the enclosing symbol in the same file, -1 at top level
    head_end: int  # last line kept by a skeleton (signature, docstring)
    tail: bool  # a skeleton keeps the last line too (closing brace)


_LOCAL = threading.local()


def _parser(lang: str) -> Any:
    """A parser for `lang` reused within the current thread (parsers are not thread-safe)."""
    cache = _LOCAL.__dict__.setdefault("parsers", {})
    if lang not in cache:
        cache[lang] = parser_for(lang)
    return cache[lang]


_CPP_MARKERS = re.compile(
    rb"^[ \t]*(namespace\s+\w+|template\s*<|class\s+\w+[^;]*\{|(public|private|protected)\s*:"
    rb"|using\s+namespace|extern\s+\"C\+\+\")", re.M)


def refine_language(lang: str, path: str, source: bytes) -> str:
    """`.h` headers that use C++ constructs are parsed as C++ (fewer errors, faster than the C grammar)."""
    if lang == "c" and path.endswith(".h") and _CPP_MARKERS.search(source):
        return "cpp"
    return lang


@lru_cache(maxsize=None)
def query_for(lang: str) -> Any:
    """The compiled tag query for a language."""
    from tree_sitter import Query

    source = "\n".join((QUERY_DIR / f"{name}.scm").read_text() for name in QUERY_FILES[lang])
    return Query(ts_language(lang), source)


def _outer(node: Any) -> Any:
    """The node whose range a definition owns: climb single-definition wrappers."""
    while node.parent is not None and node.parent.type in WRAPPERS:
        parent = node.parent
        if parent.type in ("lexical_declaration", "variable_declaration", "type_declaration"):
            if parent.named_child_count != 1:
                break
        node = parent
    return node


def _sig_start(node: Any) -> int:
    """Where a signature starts: include `type`, `const`, `export` keywords of a wrapper."""
    start = node.start_byte
    while node.parent is not None and node.parent.type in SIG_WRAPPERS and node.parent.named_child_count == 1:
        node = node.parent
        start = node.start_byte
    return start


def _start_with_leading(node: Any) -> Any:
    """The first decorator/attribute sibling directly before `node`, or `node`."""
    first = node
    prev = node.prev_named_sibling
    while prev is not None and prev.type in LEADING:
        first = prev
        prev = prev.prev_named_sibling
    return first


def _signature(node: Any, source: bytes, sig_start: int) -> tuple[str, int, bool]:
    """(one-line header, last header line, whether a skeleton keeps the closing line)."""
    owner = node
    body = node.child_by_field_name("body")
    value = node.child_by_field_name("value") if body is None else None
    if value is not None:
        owner, body = value, value.child_by_field_name("body")
    if body is None or body.start_byte <= node.start_byte:
        end = source.find(b"\n", node.start_byte)
        end = node.end_byte if end < 0 else min(end, node.end_byte)
        head, head_end, tail = source[sig_start:end], node.end_point[0] + 1, False
    else:
        head = source[sig_start:_header_end(owner, body)]
        tail = source[body.start_byte:body.start_byte + 1] == b"{"
        head_end = body.start_point[0] + (1 if tail else 0)
        if not tail:
            head_end = _docstring_end(body) or head_end
    text = head.decode("utf-8", "replace")
    if "\n" in text or "  " in text or "\t" in text:  # multi-line header: join and tidy brackets
        text = re.sub(r"\(\s+", "(", re.sub(r",?\s+\)", ")", " ".join(text.split())))
    text = text.rstrip().rstrip("{: ").rstrip()
    if len(text) > MAX_SIGNATURE:
        text = text[: MAX_SIGNATURE - 1] + "…"
    return text, head_end, tail


def _header_end(node: Any, body: Any) -> int:
    """End byte of the last child before the body, skipping comments (Python `def f(): # note`)."""
    end = body.start_byte
    for child in node.children:
        if child.start_byte >= body.start_byte or child.type == "comment":
            break
        end = child.end_byte
    return end if end > node.start_byte else body.start_byte


def _docstring_end(body: Any) -> int:
    """Last line of a Python docstring at the top of `body`, else 0."""
    first = body.named_children[0] if body.named_child_count else None
    if first is not None and first.type == "expression_statement" and first.named_child_count:
        if first.named_children[0].type == "string":
            return first.end_point[0] + 1
    return 0


def _split_name(text: str) -> tuple[str, str]:
    """(qualifier, name) for `A::B::name` style names; qualifier uses dots."""
    if "::" not in text:
        return "", text
    text = re.sub(r"\s+", "", text)
    if "::" in text and not text.startswith("::"):
        scope, _, name = text.rpartition("::")
        return re.sub(r"<.*?>", "", scope).replace("::", "."), name
    return "", text


def _matches(lang: str, tree: Any) -> list[tuple[Any, str, str, str]]:
    """(definition node, kind, name, receiver) per definition, deduplicated by node range."""
    from tree_sitter import QueryCursor

    found: dict[tuple[int, int], tuple[int, Any, str, str, str]] = {}
    for pattern, caps in QueryCursor(query_for(lang)).matches(tree.root_node):
        defs = [(key, nodes[0]) for key, nodes in caps.items() if key.startswith("definition.")]
        if not defs or "name" not in caps:
            continue
        key, node = defs[0]
        name = caps["name"][0].text.decode("utf-8", "replace")
        receiver = caps["receiver"][0].text.decode("utf-8", "replace") if "receiver" in caps else ""
        span = (node.start_byte, node.end_byte)
        if span not in found or found[span][0] > pattern:
            found[span] = (pattern, node, key.split(".", 1)[1], name, receiver)
    return [(n, kind, name, recv) for _, n, kind, name, recv in found.values()]


def _clean_name(kind: str, name: str, receiver: str) -> tuple[str, str]:
    """Normalise (name, receiver): strip generics from impl names, split C++ scopes."""
    if kind == "impl":
        name = re.split(r"[<\s]", name.lstrip("&"), maxsplit=1)[0]
        return _split_name(name)[1], ""
    scope, short = _split_name(name)
    if scope:
        receiver = scope if not receiver else receiver
    return short.strip("'\""), receiver


def extract(lang: str, source: bytes) -> tuple[list[Sym], bool]:
    """All definitions in `source`, nested and sorted by position; also whether the parse had errors."""
    tree = _parser(lang).parse(source)
    raw = []
    for node, kind, name, receiver in _matches(lang, tree):
        name, receiver = _clean_name(kind, name, receiver)
        outer = _start_with_leading(_outer(node))
        raw.append((outer.start_byte, -node.end_byte, node, outer, kind, name, receiver))
    raw.sort(key=lambda r: (r[0], r[1]))
    syms: list[Sym] = []
    stack: list[int] = []
    for start_byte, _neg_end, node, outer, kind, name, receiver in raw:
        end_byte = max(node.end_byte, outer.end_byte)
        while stack and syms[stack[-1]].end_byte < end_byte:
            stack.pop()
        parent = stack[-1] if stack else -1
        pkind = syms[parent].kind if parent >= 0 else ""
        if kind == "function" and (pkind in CONTAINERS - {"namespace", "module"} or receiver):
            kind = "method"
        prefix = syms[parent].qualname + "." if parent >= 0 else ""
        qual = prefix + (receiver + "." if receiver else "") + name
        sig, head_end, tail = _signature(node, source, _sig_start(node))
        syms.append(Sym(name, qual, kind, outer.start_point[0] + 1, _end_line(node, outer),
                        start_byte, end_byte, node.start_point[0] + 1, sig, parent, head_end, tail))
        stack.append(len(syms) - 1)
    return syms, tree.root_node.has_error


def _end_line(node: Any, outer: Any) -> int:
    """Last line of a definition (a node ending at column 0 ends on the previous line)."""
    end = max((node.end_point, outer.end_point))
    return end[0] + (1 if end[1] > 0 or end[0] == 0 else 0)
