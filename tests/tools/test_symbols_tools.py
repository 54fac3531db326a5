"""The four symbol tools end to end on a temporary repository (real rg and grammars)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.base import ToolContext, ToolError
from tools.symbols import (FindDefinitionsTool, FindReferencesTool, OutlineTool, ReadSymbolTool, SymbolLocation,
                           locate)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "symbols"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES, root / "src")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "users.py").write_text(
        "from src.sample import helper\n\n\n"
        "class Account:\n    def helper(self):\n        return helper(2)  # call helper\n\n\n"
        "def login(user):\n    msg = 'helper is not a reference'\n    return helper(user)\n"
    )
    return root


@pytest.fixture()
def ctx(repo: Path, tmp_path: Path) -> ToolContext:
    return ToolContext(root=repo, cache_dir=tmp_path / "cache")


async def call(tool, ctx: ToolContext, **kw):
    return await tool.run(tool.parse(kw), ctx)


async def test_read_symbol_with_path_and_line_numbers(ctx: ToolContext) -> None:
    res = await call(ReadSymbolTool(), ctx, symbol="src/sample.py:Outer.Inner.deep")
    lines = res.text.splitlines()
    assert lines[0] == "src/sample.py:Outer.Inner.deep (method, lines 32-35)"
    assert lines[1] == "  32|         def deep(self):"
    assert res.data["region"] == {"path": "src/sample.py", "start": 32, "end": 35}


async def test_read_symbol_bare_includes_decorators_and_merges_overloads(ctx: ToolContext) -> None:
    res = await call(ReadSymbolTool(), ctx, symbol="Outer.convert")
    assert "@overload" in res.text.splitlines()[1]
    assert res.data["region"] == {"path": "src/sample.py", "start": 37, "end": 42}
    res = await call(ReadSymbolTool(), ctx, symbol="Stack.Push")
    assert "func (s *Stack) Push(v int) {" in res.text
    res = await call(ReadSymbolTool(), ctx, symbol="geo::Box::set")  # definition preferred over prototype
    assert "void Box<T>::set(T v) {" in res.text


async def test_ambiguous_name_lists_candidates(ctx: ToolContext) -> None:
    with pytest.raises(ToolError) as err:
        await call(ReadSymbolTool(), ctx, symbol="helper")
    msg = str(err.value)
    assert "ambiguous" in msg and "src/sample.py:helper" in msg and "pkg/users.py:Account.helper" in msg


async def test_missing_symbol_suggests_close_names(ctx: ToolContext) -> None:
    with pytest.raises(ToolError) as err:
        await call(ReadSymbolTool(), ctx, symbol="Outer.convrt")
    assert "src/sample.py:Outer.convert" in str(err.value)
    with pytest.raises(ToolError) as err:
        await call(ReadSymbolTool(), ctx, symbol="src/sample.py:helpr")
    assert "src/sample.py:helper" in str(err.value)


async def test_skeleton_elides_bodies(ctx: ToolContext) -> None:
    res = await call(ReadSymbolTool(), ctx, symbol="src/sample.py:Outer", skeleton=True)
    text = res.text
    assert '"""The size."""' in text and "def size(self):" in text
    assert "return len(str(self.value))" not in text
    assert "... (" in text
    res = await call(ReadSymbolTool(), ctx, symbol="src/sample.rs:Area", skeleton=True)
    assert "String::from" not in res.text and "fn describe(&self) -> String {" in res.text


async def test_big_class_becomes_skeleton_with_note(ctx: ToolContext, repo: Path) -> None:
    body = "".join(f"    def m{i}(self):\n" + "        x = 1\n" * 3 + "        return x\n\n" for i in range(60))
    (repo / "big.py").write_text("class Big:\n    '''Many methods.'''\n\n" + body)
    res = await call(ReadSymbolTool(), ctx, symbol="big.py:Big")
    assert "showing a skeleton" in res.text and "big.py:Big.<member>" in res.text
    assert "x = 1" not in res.text
    res = await call(ReadSymbolTool(), ctx, symbol="Big.m59")
    assert "return x" in res.text


async def test_outline_file_and_folder(ctx: ToolContext) -> None:
    res = await call(OutlineTool(), ctx, path="src/sample.go")
    lines = res.text.splitlines()
    assert lines[0].startswith("src/sample.go (go, 11 symbols)")
    assert any("23-25" in line and "func (s *Stack) Push(v int)" in line for line in lines)
    res = await call(OutlineTool(), ctx, path="src/sample.py")
    deep = next(line for line in res.text.splitlines() if "def deep" in line)
    local = next(line for line in res.text.splitlines() if "def local" in line)
    assert local.index("def") > deep.index("def")  # nested deeper
    res = await call(OutlineTool(), ctx, path=".")
    assert "sample.py: helper(), Outer(" in res.text and "users.py: Account(1), login()" in res.text
    assert len(res.text) < 3000


async def test_folder_outline_is_capped(ctx: ToolContext, repo: Path) -> None:
    for d in range(30):
        sub = repo / "many" / f"mod{d:02d}"
        sub.mkdir(parents=True)
        for f in range(5):
            (sub / f"file{f}.py").write_text("".join(f"def function_number_{i}():\n    pass\n" for i in range(8)))
    res = await call(OutlineTool(), ctx, path="many")
    assert len(res.text) < 2600
    assert "[cut" in res.text and "outline('<subfolder>')" in res.text


async def test_find_definitions(ctx: ToolContext) -> None:
    res = await call(FindDefinitionsTool(), ctx, name="area")
    text = res.text
    assert "src/sample.c:23 function area: int area(rect_t r)" in text
    assert "src/sample.ts:28 method Circle.area" in text
    assert text.index("src/sample.c:23") < text.index("src/sample.c:17")  # prototype last
    res = await call(FindDefinitionsTool(), ctx, name="Circle.area")
    assert res.text.startswith("1 definition of")
    with pytest.raises(ToolError, match="Close names"):
        await call(FindDefinitionsTool(), ctx, name="NewStak")


async def test_find_references_confirms_identifiers(ctx: ToolContext) -> None:
    res = await call(FindReferencesTool(), ctx, name="helper")
    text = res.text
    assert "pkg/users.py" in text
    assert "return helper(2)  # call helper  (in Account.helper)" in text
    assert "(in login)" in text
    assert "is not a reference" not in text
    assert "dropped" in text
    with pytest.raises(ToolError):
        await call(FindReferencesTool(), ctx, name="not an identifier!")


async def test_locate_helper(repo: Path, tmp_path: Path) -> None:
    loc = locate(repo, "src/sample.py:Outer.size", tmp_path / "cache")
    assert isinstance(loc, SymbolLocation)
    assert (loc.start_line, loc.end_line, loc.kind) == (22, 29, "method")
    data = loc.path.read_bytes()
    assert data[loc.start_byte:loc.end_byte].startswith(b"@property")
    assert data[loc.start_byte:loc.end_byte].endswith(b"self.value = new")
    with pytest.raises(ToolError):
        locate(repo, "nothing_like_this", tmp_path / "cache")


async def test_bad_inputs(ctx: ToolContext, repo: Path) -> None:
    (repo / "blob.py").write_bytes(b"\x00\x01binary")
    (repo / "notes.txt").write_text("hello")
    (repo / "latin.py").write_bytes("# caf\xe9\ndef caf():\n    return '\xe9'\n".encode("latin-1"))
    (repo / "broken.py").write_text("def ok():\n    pass\n\ndef bad(:\n    pass\n")
    cases = [
        (OutlineTool(), {"path": "missing.py"}, "no such file"),
        (OutlineTool(), {"path": "notes.txt"}, "grep or read_lines"),
        (OutlineTool(), {"path": "../outside.py"}, "outside the workspace"),
        (ReadSymbolTool(), {"symbol": "missing.py:foo"}, "no such file"),
        (ReadSymbolTool(), {"symbol": "src:foo"}, "is a directory"),
        (ReadSymbolTool(), {"symbol": "pkg.py:foo"}, "no such file"),
        (ReadSymbolTool(), {"symbol": "blob.py:foo"}, "binary"),
    ]
    for tool, kw, msg in cases:
        with pytest.raises(ToolError, match=msg):
            await call(tool, ctx, **kw)
    res = await call(OutlineTool(), ctx, path="blob.py")
    assert "binary" in res.text
    res = await call(ReadSymbolTool(), ctx, symbol="latin.py:caf")
    assert res.text.splitlines()[1:] == ["   2| def caf():", "   3|     return '\ufffd'"]
    res = await call(OutlineTool(), ctx, path="broken.py")
    assert "syntax errors" in res.text and "def ok()" in res.text


async def test_directory_where_file_expected(ctx: ToolContext, repo: Path) -> None:
    (repo / "dir.py").mkdir()
    with pytest.raises(ToolError, match="is a directory"):
        await call(ReadSymbolTool(), ctx, symbol="dir.py:foo")


async def test_more_languages_and_outer_preferred(ctx: ToolContext) -> None:
    res = await call(ReadSymbolTool(), ctx, symbol="Sample")  # class preferred over its constructor
    assert res.text.startswith("src/Sample.java:Sample (class, lines 5-30)")
    res = await call(ReadSymbolTool(), ctx, symbol="src/sample.tsx:Footer")
    assert "export const Footer = (props: Props) =>" in res.text
    res = await call(ReadSymbolTool(), ctx, symbol="Point.new")
    assert "pub fn new(x: i32, y: i32) -> Self {" in res.text
    res = await call(ReadSymbolTool(), ctx, symbol="src/sample.ts:parse")  # overloads read together
    assert res.data["region"] == {"path": "src/sample.ts", "start": 18, "end": 22}


async def test_long_function_is_cut_with_note(ctx: ToolContext, repo: Path) -> None:
    (repo / "long.py").write_text("def long():\n" + "    x = 1\n" * 600)
    res = await call(ReadSymbolTool(), ctx, symbol="long.py:long")
    assert "[cut: 201 more lines not shown (cap 400 lines)" in res.text and "read_lines('long.py'" in res.text


async def test_references_one_line_per_hit_and_no_code_folder(ctx: ToolContext, repo: Path) -> None:
    (repo / "pkg" / "twice.py").write_text("from src.sample import helper\n\nx = helper(helper(1))\n")
    res = await call(FindReferencesTool(), ctx, name="helper")
    assert res.text.count("x = helper(helper(1))") == 1
    (repo / "docs").mkdir()
    (repo / "docs" / "a.md").write_text("# helper\n")
    res = await call(OutlineTool(), ctx, path="docs")
    assert "no source files" in res.text


async def test_large_file_outline_collapses_members(ctx: ToolContext, repo: Path) -> None:
    body = "".join(f"class K{c}:\n" + "".join(f"    def m{m}(self):\n        pass\n" for m in range(10))
                   for c in range(40))
    (repo / "wide.py").write_text(body)
    res = await call(OutlineTool(), ctx, path="wide.py")
    assert "members omitted" in res.text and "class K39  · class, 10 members" in res.text
    assert "def m0" not in res.text
