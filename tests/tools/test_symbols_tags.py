"""Tag extraction per language: expected (qualified name, kind) pairs from the fixture files."""
from __future__ import annotations

from pathlib import Path

import pytest

from tools.languages import language_for
from tools.symbols.tags import extract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "symbols"

EXPECTED: dict[str, set[tuple[str, str]]] = {
    "sample.py": {
        ("MAX_SIZE", "constant"), ("helper", "function"), ("Outer", "class"), ("Outer.__init__", "method"),
        ("Outer.size", "method"), ("Outer.Inner", "class"), ("Outer.Inner.deep", "method"),
        ("Outer.Inner.deep.local", "function"), ("Outer.convert", "method"), ("fetch", "function"),
    },
    "sample.js": {
        ("Animal", "class"), ("Animal.constructor", "method"), ("Animal.speak", "method"),
        ("Animal.handler", "method"), ("greet", "function"), ("arrow", "function"), ("exported", "function"),
        ("get", "function"), ("post", "function"), ("util", "function"),
    },
    "sample.ts": {
        ("Shape", "interface"), ("Shape.area", "method"), ("Point", "type"), ("Color", "enum"),
        ("Geometry", "module"), ("Geometry.origin", "function"), ("Base", "class"), ("Base.describe", "method"),
        ("parse", "function"), ("Circle", "class"), ("Circle.constructor", "method"), ("Circle.area", "method"),
        ("Circle.describe", "method"), ("Circle.scale", "method"), ("makeCircle", "function"),
    },
    "sample.tsx": {
        ("Props", "interface"), ("Header", "function"), ("Footer", "function"), ("Page", "class"),
        ("Page.render", "method"),
    },
    "sample.go": {
        ("Version", "constant"), ("Stack", "struct"), ("Sizer", "interface"), ("Sizer.Size", "method"),
        ("ID", "type"), ("NewStack", "function"), ("Stack.Push", "method"), ("Stack.Size", "method"),
        ("List.Len", "method"), ("List", "struct"), ("main", "function"),
    },
    "sample.rs": {
        ("LIMIT", "constant"), ("Point", "struct"), ("Shape", "enum"), ("Area", "trait"), ("Area.area", "method"),
        ("Area.describe", "method"), ("Point", "impl"), ("Point.new", "method"), ("Point.norm", "method"),
        ("Shape", "impl"), ("Shape.area", "method"), ("Point.fmt", "method"), ("inner", "module"),
        ("inner.helper", "function"), ("square", "macro"), ("main", "function"),
    },
    "Sample.java": {
        ("Sample", "class"), ("Sample.Sample", "constructor"), ("Sample.toString", "method"), ("Sample.add", "method"),
        ("Sample.Nested", "class"), ("Sample.Nested.run", "method"), ("Sample.Listener", "interface"),
        ("Sample.Listener.onEvent", "method"), ("Sample.Mode", "enum"),
    },
    "sample.c": {
        ("MAX_ITEMS", "macro"), ("SQUARE", "macro"), ("node", "struct"), ("rect_t", "type"), ("color", "enum"),
        ("area", "prototype"), ("area_impl", "function"), ("area", "function"), ("name_of", "function"),
        ("main", "function"),
    },
    "sample.cpp": {
        ("geo", "namespace"), ("geo.Box", "class"), ("geo.Box.Box", "method"), ("geo.Box.get", "method"),
        ("geo.Box.set", "prototype"), ("geo.Box.~Box", "method"), ("geo.Box.set", "method"),
        ("geo.Point", "struct"), ("geo.Point.sum", "method"), ("geo.distance", "function"),
        ("geo.detail", "namespace"), ("geo.detail.Helper", "class"), ("geo.detail.Helper.twice", "prototype"),
        ("geo.detail.Helper.twice", "method"), ("maximum", "function"), ("main", "function"),
    },
}


def _extract(name: str):
    path = FIXTURES / name
    return extract(language_for(path), path.read_bytes())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_symbols(name: str) -> None:
    syms, has_error = _extract(name)
    assert not has_error
    assert {(s.qualname, s.kind) for s in syms} == EXPECTED[name]


def test_python_ranges_include_decorators_and_nesting() -> None:
    syms, _ = _extract("sample.py")
    by = {s.qualname: s for s in syms}
    outer = by["Outer"]
    assert (outer.start_line, outer.sig_line, outer.end_line) == (13, 14, 42)
    size = [s for s in syms if s.qualname == "Outer.size"]
    assert [(s.start_line, s.sig_line) for s in size] == [(22, 23), (27, 28)]
    assert syms[by["Outer.Inner.deep"].parent].qualname == "Outer.Inner"
    assert by["fetch"].signature == "async def fetch(url: str, timeout: float = 1.0) -> bytes"


def test_go_receivers_and_rust_impls() -> None:
    go, _ = _extract("sample.go")
    push = next(s for s in go if s.qualname == "Stack.Push")
    assert push.signature == "func (s *Stack) Push(v int)" and push.parent == -1
    rs, _ = _extract("sample.rs")
    point = next(s for s in rs if s.kind == "struct" and s.name == "Point")
    assert point.start_line == 5  # #[derive] attribute belongs to the struct
    impls = [s.signature for s in rs if s.kind == "impl"]
    assert impls == ["impl Point", "impl Area for Shape", "impl fmt::Display for Point"]


def test_cpp_template_and_namespace_ranges() -> None:
    syms, _ = _extract("sample.cpp")
    box = next(s for s in syms if s.qualname == "geo.Box")
    assert (box.start_line, box.sig_line) == (5, 6)  # template<> line included
    setter = next(s for s in syms if s.qualname == "geo.Box.set" and s.kind == "method")
    assert setter.start_line == 16 and setter.end_line == 19


def test_ts_decorator_and_overloads() -> None:
    syms, _ = _extract("sample.ts")
    circle = next(s for s in syms if s.qualname == "Circle")
    assert circle.start_line == 24 and circle.end_line == 33
    assert [s.sig_line for s in syms if s.qualname == "parse"] == [18, 19, 20]


def test_syntax_error_still_outlines() -> None:
    src = b"def good():\n    return 1\n\ndef broken(:\n    pass\n\nclass Fine:\n    def m(self):\n        pass\n"
    syms, has_error = extract("python", src)
    assert has_error
    names = {s.qualname for s in syms}
    assert {"good", "Fine", "Fine.m"} <= names


def test_non_utf8_keeps_byte_offsets() -> None:
    src = "# caf\xe9\ndef after():\n    return '\xe9'\n".encode("latin-1")
    syms, _ = extract("python", src)
    (sym,) = syms
    assert sym.name == "after" and sym.start_line == 2
    assert src[sym.start_byte:sym.end_byte].startswith(b"def after")


def test_cpp_headers_are_parsed_as_cpp() -> None:
    from tools.symbols.tags import refine_language

    assert refine_language("c", "a.h", b"namespace x {\nclass A { public: int f(); };\n}\n") == "cpp"
    assert refine_language("c", "b.h", b"struct s { int a; };\nint f(void);\n") == "c"
    assert refine_language("c", "c.c", b"namespace x {}\n") == "c"
