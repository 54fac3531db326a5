"""The persistent index: storage, incremental refresh, ignore rules, skipped files, process pool."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.base import ToolContext
from tools.symbols import ReadSymbolTool, SymbolIndex, get_index
from tools.symbols.index import POOL_MIN_FILES
from tools.symbols.lazy import start_background


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_index_is_stored_and_reloaded(tmp_path: Path) -> None:
    root, cache = tmp_path / "r", tmp_path / "c"
    os.utime(_write(root, "a.py", "def a():\n    pass\n"), ns=(1, 1))  # old files: not "racy"
    os.utime(_write(root, "b/b.go", "package b\n\nfunc B() {}\n"), ns=(1, 1))
    first = SymbolIndex(root, cache)
    assert first.refresh() == 2
    assert first.path.is_file() and cache in first.path.parents
    assert root not in first.path.parents  # stored outside the working tree
    second = SymbolIndex(root, cache)
    assert second.refresh() == 0
    assert [s.qualname for s in second.symbols("b/b.go")] == ["B"]


def test_incremental_refresh(tmp_path: Path) -> None:
    root, cache = tmp_path / "r", tmp_path / "c"
    _write(root, "a.py", "def a():\n    pass\n")
    _write(root, "b.py", "def b():\n    pass\n")
    index = SymbolIndex(root, cache)
    index.refresh()
    path = _write(root, "a.py", "def a2():\n    pass\n")
    os.utime(path, ns=(1, 1))
    os.utime(_write(root, "sub/new.py", "class New:\n    pass\n"), ns=(2, 2))
    (root / "b.py").unlink()
    assert index.refresh() == 2
    assert set(index.files) == {"a.py", "sub/new.py"}
    assert index.by_name().get("a2") == [("a.py", 0)] and "b" not in index.by_name()
    assert index.refresh() == 0


def test_gitignore_minified_huge_binary(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _write(root, ".gitignore", "ignored/\n")
    _write(root, "ignored/x.py", "def hidden():\n    pass\n")
    _write(root, "app.min.js", "var a=1;" * 1000 + "\nfunction f(){}\n")
    _write(root, "huge.py", "x = 1\n" * 200_000)
    (root / "bin.c").write_bytes(b"int\x00main")
    _write(root, "ok.py", "def ok():\n    pass\n")
    index = SymbolIndex(root, tmp_path / "c")
    index.refresh()
    assert "ignored/x.py" not in index.files
    notes = {rel: entry[4] for rel, entry in index.files.items()}
    assert notes["app.min.js"].startswith("minified")
    assert notes["huge.py"].startswith("too large")
    assert notes["bin.c"] == "binary"
    assert notes["ok.py"] == ""


def test_progress_and_pool_match_serial(tmp_path: Path) -> None:
    root = tmp_path / "r"
    for i in range(POOL_MIN_FILES + 20):
        _write(root, f"m{i // 50}/f{i}.py", f"class C{i}:\n    def m(self):\n        return {i}\n")
    seen: list[tuple[int, int]] = []
    pooled = SymbolIndex(root, tmp_path / "c1")
    pooled.refresh(on_progress=lambda done, total: seen.append((done, total)), workers=2)
    serial = SymbolIndex(root, tmp_path / "c2")
    serial.refresh(workers=1)
    assert {k: v[:5] for k, v in pooled.files.items()} == {k: v[:5] for k, v in serial.files.items()}
    assert seen[-1] == (POOL_MIN_FILES + 20, POOL_MIN_FILES + 20)


async def test_tools_see_edits_and_background_build_reports_progress(tmp_path: Path) -> None:
    root = tmp_path / "r"
    path = _write(root, "mod.py", "def target():\n    return 1\n")
    events: list[tuple[int, int]] = []
    ctx = ToolContext(root=root, cache_dir=tmp_path / "c")
    tool = ReadSymbolTool()
    res = await tool.run(tool.parse({"symbol": "target"}), ctx)
    assert res.data["region"]["start"] == 1
    assert not get_index(root, tmp_path / "c", refresh=False).complete  # answered without building the index
    start_background(root, tmp_path / "c", lambda d, t: events.append((d, t)), min_total=0).join(10)
    assert events[-1] == (1, 1) and get_index(root, tmp_path / "c", refresh=False).complete
    path.write_text("import os\n\n\ndef target():\n    return 2\n")
    res = await tool.run(tool.parse({"symbol": "target"}), ctx)
    assert res.data["region"] == {"path": "mod.py", "start": 4, "end": 5}
    assert "return 2" in res.text


def test_shared_index_per_root(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _write(root, "a.py", "def a():\n    pass\n")
    assert get_index(root, tmp_path / "c") is get_index(root, tmp_path / "c")


@pytest.mark.parametrize("name", ["corrupt", "empty"])
def test_corrupt_store_is_rebuilt(tmp_path: Path, name: str) -> None:
    root = tmp_path / "r"
    _write(root, "a.py", "def a():\n    pass\n")
    index = SymbolIndex(root, tmp_path / "c")
    index.path.parent.mkdir(parents=True)
    index.path.write_bytes(b"\x00garbage" if name == "corrupt" else b"")
    assert index.refresh() == 1


def test_gitignore_edit_is_noticed_by_a_new_process(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _write(root, ".gitignore", "# nothing\n")
    _write(root, "gen/out.py", "def generated():\n    pass\n")
    SymbolIndex(root, tmp_path / "c").refresh()
    ignore = _write(root, ".gitignore", "gen/\n")
    os.utime(ignore, ns=(5, 5))
    later = SymbolIndex(root, tmp_path / "c")
    later.refresh()
    assert "gen/out.py" not in later.files


def test_same_size_rewrite_right_after_scan_is_seen(tmp_path: Path) -> None:
    root = tmp_path / "r"
    path = _write(root, "a.py", "def aaa():\n    pass\n")
    index = SymbolIndex(root, tmp_path / "c")
    index.refresh()
    stat = path.stat()
    path.write_text("def bbb():\n    pass\n")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime tick
    assert index.refresh_file("a.py") is not None
    assert [s.name for s in index.symbols("a.py")] == ["bbb"]


def test_name_table_is_updated_in_place_by_refresh_file(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _write(root, "a.py", "def one():\n    pass\n\n\ndef two():\n    pass\n")
    _write(root, "b.py", "def two():\n    pass\n")
    index = SymbolIndex(root, tmp_path / "c")
    index.refresh()
    table = index.by_name()
    path = _write(root, "a.py", "def three():\n    pass\n\n\ndef two():\n    pass\n\n\ndef two():\n    pass\n")
    os.utime(path, ns=(5, 5))
    index.refresh_file("a.py")
    assert index.by_name() is table  # updated, not rebuilt
    rebuilt = SymbolIndex(root, tmp_path / "c2")
    rebuilt.refresh()
    assert {k: sorted(v) for k, v in table.items()} == {k: sorted(v) for k, v in rebuilt.by_name().items()}
    (root / "b.py").unlink()
    index.refresh_file("b.py")
    assert sorted(index.by_name()["two"]) == [("a.py", 1), ("a.py", 2)] and "one" not in index.by_name()
