"""A table of edit cases through the real tools: after each, the file is the expected result or untouched."""
from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.base import ToolContext, ToolError, ToolResult
from tools.edit import EditTool, ReplaceSymbolTool, WriteFileTool


@dataclass
class Case:
    """One edit: file bytes before, tool args, expected bytes (None = must fail and leave the file alone)."""

    id: str
    before: bytes
    args: dict[str, Any]
    expect: bytes | None
    msg: str = ""  # substring expected in the output (error or summary)
    name: str = "f.txt"
    gate: str = "reject"
    mode: int | None = None


def E(old: str, new: str, **kw: Any) -> dict[str, Any]:
    """Edit arguments."""
    return {"old": old, "new": new, **kw}


PY = b"def f():\n    if x:\n        return 1\n    return 2\n"
TABS = b"def f():\n\tif x:\n\t\treturn 1\n\treturn 2\n"
CASES = [
    Case("exact-single-line", b"a = 1\nb = 2\n", E("b = 2", "b = 3"), b"a = 1\nb = 3\n", "edited f.txt (+1 -1)"),
    Case("exact-multi-line", b"a\nb\nc\nd\n", E("b\nc\n", "B\nC\nX\n"), b"a\nB\nC\nX\nd\n", "(+3 -2)"),
    Case("mid-line-fragment", b"x = foo(1, 2)\n", E("foo(1", "bar(1"), b"x = bar(1, 2)\n"),
    Case("deletion", b"a\nb\nc\n", E("b\n", ""), b"a\nc\n", "(+0 -1)"),
    Case("replace-all", b"x\ny\nx\nx\n", E("x", "z", replace_all=True), b"z\ny\nz\nz\n", "3 replacements"),
    Case("ambiguous", b"x = 1\ny\nx = 1\n", E("x = 1", "x = 2"), None, "matches 2 places"),
    Case("ambiguous-lists-lines", b"a\nx = 1\nb\nx = 1\n", E("x = 1", "x = 2"), None, "line 4: x = 1"),
    Case("ambiguous-suggests", b"k\nk\n", E("k", "j"), None, "replace_all=true"),
    Case("ambiguous-at-indent-layer", b"if a:\n    y = 1\nif b:\n    y = 1\n", E("  y = 1\n", "  y = 2\n"), None, "matches 2 places"),
    Case("whitespace-only-old-ambiguous", b"a  b  c\n", E("  ", " "), None, "matches 2 places"),
    Case("no-match-closest", b"def f():\n    return compute(a, b)\n", E("    return compute(a, c)\n", "x"), None, "lines 2-2"),
    Case("no-match-diff-shown", b"alpha\nbeta\ngamma\n", E("alpha\nbeta2\ngamma\n", "x"), None, "+beta"),
    Case("no-match-nothing-similar", b"hello\n", E("zzzzqqqq\n", "x"), None, "nothing similar"),
    Case("never-fuzzier-typo", b"value = compute()\n", E("valeu = compute()", "v = 1"), None, "not found"),
    Case("empty-old", b"a\n", E("", "b"), None, "write_file"),
    Case("old-equals-new", b"a\n", E("a", "a"), None, "identical"),
    Case("trailing-spaces-in-file", b"a = 1   \nb = 2\t\n", E("a = 1\nb = 2\n", "a = 1\nb = 3\n"), b"a = 1\nb = 3\n",
         "ignoring trailing whitespace"),
    Case("trailing-spaces-in-old", b"a = 1\nb = 2\n", E("a = 1  \nb = 2 \n", "c = 3\n"), b"c = 3\n", "trailing whitespace"),
    Case("crlf-file-lf-snippet", b"a\r\nb\r\nc\r\n", E("b\nc\n", "B\nX\nC\n"), b"a\r\nB\r\nX\r\nC\r\n"),
    Case("crlf-file-crlf-snippet", b"a\r\nb\r\nc\r\n", E("a\r\nb\r\n", "A\r\n"), b"A\r\nc\r\n", "line endings"),
    Case("lf-file-crlf-snippet", b"a\nb\nc\n", E("a\r\nb\r\n", "q\n"), b"q\nc\n", "line endings"),
    Case("mixed-eol-kept", b"a\r\nb\nc\r\nd\n", E("b\nc\n", "B\nC\n"), b"a\r\nB\r\nC\r\nd\n", "line endings"),
    Case("cr-only-file", b"a\rb\rc\r", E("b\n", "B\n"), b"a\rB\rc\r"),
    Case("indent-shift-right", PY, E("if x:\n    return 1\n", "if y:\n    return 3\n"),
         b"def f():\n    if y:\n        return 3\n    return 2\n", "normalising indentation"),
    Case("indent-shift-left", b"class A:\n    def f(self):\n        pass\n",
         E("            def f(self):\n                pass\n", "            def g(self):\n                return 0\n"),
         b"class A:\n    def g(self):\n        return 0\n", "indentation"),
    Case("indent-new-deeper", PY, E("if x:\n    return 1\n", "if x:\n    if z:\n        return 1\n"),
         b"def f():\n    if x:\n        if z:\n            return 1\n    return 2\n"),
    Case("tabs-file-spaces-snippet", TABS, E("    if x:\n        return 1\n", "    if y:\n        return 9\n"),
         b"def f():\n\tif y:\n\t\treturn 9\n\treturn 2\n", "indentation"),
    Case("spaces-file-tabs-snippet", PY, E("\tif x:\n\t\treturn 1\n", "\tif x:\n\t\treturn 5\n"),
         b"def f():\n    if x:\n        return 5\n    return 2\n"),
    Case("indent-structure-differs", PY, E("if x:\nreturn 1\n", "z\n"), None, "not found"),
    Case("indent-unit-differs-not-uniform", PY, E("if x:\n  return 1\n", "z\n"), None, "not found"),
    Case("unicode-curly-in-file", "say(\u201chi\u201d)\n".encode(), E('say("hi")', 'say("yo")'), b'say("yo")\n', "Unicode"),
    Case("unicode-curly-in-old", b"x = 'a'\n", E("x = \u2018a\u2019", "x = 'b'"), b"x = 'b'\n", "Unicode"),
    Case("unicode-dash", "a \u2014 b\n".encode(), E("a - b", "a to b"), b"a to b\n", "Unicode"),
    Case("unicode-plus-indent", "def f():\n    s = \u2018q\u2019\n".encode(), E("s = 'q'\n", "s = 'r'\n"),
         b"def f():\n    s = 'r'\n"),
    Case("no-final-newline-edit-last", b"a\nb", E("b", "c"), b"a\nc"),
    Case("no-final-newline-old-has-newline", b"a\nb", E("a\nb\n", "x\ny\n"), b"x\ny"),
    Case("final-newline-kept", b"a\nb\n", E("b", "c"), b"a\nc\n"),
    Case("bom-kept", b"\xef\xbb\xbfname = 1\n", E("name = 1", "name = 2"), b"\xef\xbb\xbfname = 2\n"),
    Case("bom-crlf-kept", b"\xef\xbb\xbfa\r\nb\r\n", E("a\n", "A\nA2\n"), b"\xef\xbb\xbfA\r\nA2\r\nb\r\n"),
    Case("latin1-kept", b"caf\xe9 = 1\nx = 2\n", E("x = 2", "x = 3"), b"caf\xe9 = 1\nx = 3\n"),
    Case("latin1-new-char", b"caf\xe9 = 1\n", E("caf\u00e9 = 1", "na\u00efve = 1"), b"na\xefve = 1\n"),
    Case("latin1-unrepresentable", b"caf\xe9 = 1\n", E("1", "\u20ac"), None, "latin-1"),
    Case("utf8-multibyte", "\u00fcber = '\u2713'\n".encode(), E("'\u2713'", "'\u2717'"), "\u00fcber = '\u2717'\n".encode()),
    Case("binary-refused", b"\x00\x01PK\x00abc", E("abc", "x"), None, "binary"),
    Case("read-only-refused", b"a\n", E("a", "b"), None, "read-only", mode=0o444),
    Case("gate-reject-python", PY, E("return 1\n", "return (1\n"), None, "syntax errors", name="m.py"),
    Case("gate-reject-js", b"function f() {\n  return 1;\n}\n", E("return 1;\n}", "return 1;\n"), None,
         "line", name="m.js"),
    Case("gate-warn", PY, E("return 1\n", "return (1\n"), PY.replace(b"return 1\n", b"return (1\n"), "warning",
         name="m.py", gate="warn"),
    Case("gate-off", PY, E("return 1\n", "return (1\n"), PY.replace(b"return 1\n", b"return (1\n"), "edited",
         name="m.py", gate="off"),
    Case("gate-valid-edit", PY, E("return 1", "return 11"), PY.replace(b"return 1\n", b"return 11\n"), name="m.py"),
    Case("gate-already-broken", b"def f(:\n    pass\nx = 1\n", E("x = 1", "x = 2"), b"def f(:\n    pass\nx = 2\n",
         name="m.py"),
]


def run_tool(tool: Any, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
    """Run a tool like the loop does; ToolError becomes an error result."""
    try:
        return asyncio.run(tool.run(tool.parse(args), ctx))
    except ToolError as exc:
        return ToolResult(str(exc), is_error=True)


def leftovers(folder: Path) -> list[str]:
    """Temp files an atomic write might have left behind."""
    return [p.name for p in folder.rglob("*pith-tmp*")]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_edit_case(case: Case, tmp_path: Path) -> None:
    target = tmp_path / case.name
    target.write_bytes(case.before)
    if case.mode is not None:
        target.chmod(case.mode)
    ctx = ToolContext(root=tmp_path, syntax_gate=case.gate)
    result = run_tool(EditTool(), {"path": case.name, **case.args}, ctx)
    after = target.read_bytes()
    if case.expect is None:
        assert result.is_error, result.text
        assert after == case.before, "a failed edit changed the file"
    else:
        assert not result.is_error, result.text
        assert after == case.expect
        edits = result.data["file_edits"]
        assert edits[0]["path"] == case.name and edits[0]["diff"] in result.text
        assert result.data["region"]["path"] == case.name
    assert case.msg in result.text, result.text
    assert not leftovers(tmp_path)


def test_case_count() -> None:
    assert len(CASES) >= 40


def test_outside_workspace_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"secret\n")
    ctx = ToolContext(root=root)
    for path in ("../secret.txt", str(outside)):
        result = run_tool(EditTool(), {"path": path, "old": "secret", "new": "x"}, ctx)
        assert result.is_error and "outside the workspace" in result.text
        result = run_tool(WriteFileTool(), {"path": path, "content": "x"}, ctx)
        assert result.is_error and "outside" in result.text
    assert outside.read_bytes() == b"secret\n"


def test_symlink_outside_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path / "target.txt"
    outside.write_bytes(b"keep\n")
    (root / "link.txt").symlink_to(outside)
    ctx = ToolContext(root=root)
    assert run_tool(EditTool(), {"path": "link.txt", "old": "keep", "new": "x"}, ctx).is_error
    assert run_tool(WriteFileTool(), {"path": "link.txt", "content": "x"}, ctx).is_error
    assert outside.read_bytes() == b"keep\n"


def test_symlink_inside_edits_target_keeps_link(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_bytes(b"a = 1\n")
    (tmp_path / "alias.txt").symlink_to("real.txt")
    result = run_tool(EditTool(), {"path": "alias.txt", "old": "1", "new": "2"}, ToolContext(root=tmp_path))
    assert not result.is_error, result.text
    assert (tmp_path / "alias.txt").is_symlink()
    assert (tmp_path / "real.txt").read_bytes() == b"a = 2\n"


def test_git_dir_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_bytes(b"[core]\n")
    ctx = ToolContext(root=tmp_path)
    result = run_tool(EditTool(), {"path": ".git/config", "old": "[core]", "new": "[x]"}, ctx)
    assert result.is_error and ".git" in result.text
    result = run_tool(WriteFileTool(), {"path": ".git/hooks/pre-commit", "content": "rm -rf /\n"}, ctx)
    assert result.is_error and not (tmp_path / ".git" / "hooks").exists()
    assert (tmp_path / ".git" / "config").read_bytes() == b"[core]\n"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    ctx = ToolContext(root=tmp_path)
    (tmp_path / "d").mkdir()
    assert "no such file" in run_tool(EditTool(), {"path": "nope.txt", "old": "a", "new": "b"}, ctx).text
    assert "directory" in run_tool(EditTool(), {"path": "d", "old": "a", "new": "b"}, ctx).text


def test_mode_bits_kept(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_bytes(b"#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    assert not run_tool(EditTool(), {"path": "run.sh", "old": "hi", "new": "yo"}, ToolContext(root=tmp_path)).is_error
    assert stat.S_IMODE(script.stat().st_mode) == 0o755


def test_huge_file(tmp_path: Path) -> None:
    line = b"x = 'some fairly ordinary line of text here'  # padding\n"
    body = line * (20 * 1024 * 1024 // len(line))
    big = tmp_path / "big.txt"
    big.write_bytes(body + b"MARKER = 1\n" + body)
    result = run_tool(EditTool(), {"path": "big.txt", "old": "MARKER = 1", "new": "MARKER = 2"}, ToolContext(root=tmp_path))
    assert not result.is_error, result.text[:500]
    assert big.read_bytes() == body + b"MARKER = 2\n" + body
    assert len(result.text) < 2000 and result.data["region"]["start"] == body.count(b"\n") + 1


def test_diff_has_line_numbers_and_summary(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_bytes(b"".join(b"v%d = %d\n" % (i, i) for i in range(30)))
    result = run_tool(EditTool(), {"path": "app.py", "old": "v20 = 20\n", "new": "v20 = 0\nv20b = 1\n"},
                      ToolContext(root=tmp_path))
    assert "@@ -18,7 +18,8 @@" in result.text
    assert result.text.rstrip().endswith("edited app.py (+2 -1)")
    assert result.data["region"] == {"path": "app.py", "start": 21, "end": 22}
    edit = result.data["file_edits"][0]
    assert len(edit["before_hash"]) == 64 and edit["before_hash"] != edit["after_hash"]


def test_write_file_create_and_approval(tmp_path: Path) -> None:
    ctx, tool = ToolContext(root=tmp_path), WriteFileTool()
    approval = tool.approval(tool.parse({"path": "a/b/new.py", "content": "x = 1\n"}), ctx)
    assert approval is not None and approval.kind == "write"
    result = run_tool(tool, {"path": "a/b/new.py", "content": "x = 1\n"}, ctx)
    assert not result.is_error and (tmp_path / "a/b/new.py").read_bytes() == b"x = 1\n"
    assert result.data["file_edits"][0]["before_hash"] is None and "created a/b/new.py" in result.text
    approval = tool.approval(tool.parse({"path": "a/b/new.py", "content": "y\n"}), ctx)
    assert approval is not None and approval.kind == "overwrite" and approval.pattern == "a/b/new.py"
    mode = stat.S_IMODE((tmp_path / "a/b/new.py").stat().st_mode)
    assert mode == 0o666 & ~_umask()


def _umask() -> int:
    """The process umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_write_file_overwrite_keeps_format(tmp_path: Path) -> None:
    target = tmp_path / "w.txt"
    target.write_bytes(b"\xef\xbb\xbfold\r\nlines\r\n")
    result = run_tool(WriteFileTool(), {"path": "w.txt", "content": "new\ncontent"}, ToolContext(root=tmp_path))
    assert not result.is_error, result.text
    assert target.read_bytes() == b"\xef\xbb\xbfnew\r\ncontent\r\n"
    target.write_bytes(b"no final newline")
    run_tool(WriteFileTool(), {"path": "w.txt", "content": "still none\n"}, ToolContext(root=tmp_path))
    assert target.read_bytes() == b"still none"


def test_write_file_refusals(tmp_path: Path) -> None:
    ctx = ToolContext(root=tmp_path)
    (tmp_path / "ro.txt").write_bytes(b"ro\n")
    (tmp_path / "ro.txt").chmod(0o444)
    (tmp_path / "bin.dat").write_bytes(b"\x00\x01")
    py = tmp_path / "ok.py"
    py.write_bytes(b"x = 1\n")
    assert "read-only" in run_tool(WriteFileTool(), {"path": "ro.txt", "content": "x"}, ctx).text
    assert "binary" in run_tool(WriteFileTool(), {"path": "bin.dat", "content": "x"}, ctx).text
    assert "NUL" in run_tool(WriteFileTool(), {"path": "n.txt", "content": "a\x00b"}, ctx).text
    assert "syntax" in run_tool(WriteFileTool(), {"path": "ok.py", "content": "def (:\n"}, ctx).text
    assert (tmp_path / "ro.txt").read_bytes() == b"ro\n" and (tmp_path / "bin.dat").read_bytes() == b"\x00\x01"
    assert py.read_bytes() == b"x = 1\n" and not (tmp_path / "n.txt").exists()


def test_replace_symbol_method(tmp_path: Path) -> None:
    src = b"import os\n\n\nclass A:\n    @staticmethod\n    def f():\n        return 1\n\n    def g(self):\n        return 2\n"
    (tmp_path / "m.py").write_bytes(src)
    new = "@staticmethod\ndef f():\n    return 'one'\n"
    result = run_tool(ReplaceSymbolTool(), {"symbol": "m.py:A.f", "new_source": new}, ToolContext(root=tmp_path))
    assert not result.is_error, result.text
    assert (tmp_path / "m.py").read_bytes() == src.replace(b"return 1", b"return 'one'")
    bad = run_tool(ReplaceSymbolTool(), {"symbol": "m.py:A.g", "new_source": "def g(self:\n  pass"},
                   ToolContext(root=tmp_path))
    assert bad.is_error and (tmp_path / "m.py").read_bytes() == src.replace(b"return 1", b"return 'one'")


def test_replace_symbol_bare_name_crlf(tmp_path: Path) -> None:
    src = b"def helper(a):\r\n    return a\r\n\r\n\r\ndef other():\r\n    pass\r\n"
    (tmp_path / "h.py").write_bytes(src)
    new = "    def helper(a, b=0):\n        return a + b\n"
    result = run_tool(ReplaceSymbolTool(), {"symbol": "helper", "new_source": new}, ToolContext(root=tmp_path))
    assert not result.is_error, result.text
    assert (tmp_path / "h.py").read_bytes() == src.replace(b"(a):\r\n    return a", b"(a, b=0):\r\n    return a + b")
    missing = run_tool(ReplaceSymbolTool(), {"symbol": "nope_nothing", "new_source": "x = 1"}, ToolContext(root=tmp_path))
    assert missing.is_error


def test_replace_symbol_empty_source(tmp_path: Path) -> None:
    result = run_tool(ReplaceSymbolTool(), {"symbol": "m.py:f", "new_source": "  "}, ToolContext(root=tmp_path))
    assert result.is_error and "empty" in result.text


def test_schemas_are_valid() -> None:
    for tool in (EditTool(), WriteFileTool(), ReplaceSymbolTool()):
        schema = tool.schema()["function"]
        assert schema["name"] in {"edit", "write_file", "replace_symbol"} and schema["description"]
    # replace_all is accepted but not advertised (the several-matches error names it): a leaner prefix
    assert set(EditTool().schema()["function"]["parameters"]["properties"]) == {"path", "old", "new"}
    assert EditTool().parse({"path": "a", "old": "x", "new": "y", "replace_all": True}).replace_all is True


def test_replace_symbol_keeps_string_content(tmp_path: Path) -> None:
    src = b'class K:\n    def doc(self):\n        return 1\n'
    (tmp_path / "k.py").write_bytes(src)
    new = '    def doc(self):\n        return """\nflush left\n"""\n'
    result = run_tool(ReplaceSymbolTool(), {"symbol": "k.py:K.doc", "new_source": new}, ToolContext(root=tmp_path))
    assert not result.is_error, result.text
    assert (tmp_path / "k.py").read_text() == "class K:\n" + new
