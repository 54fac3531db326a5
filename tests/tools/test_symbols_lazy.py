"""Lazy lookups (ripgrep narrows, tree-sitter confirms) answer exactly as the full index does."""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tools.base import ToolContext, ToolError
from tools.symbols import FindDefinitionsTool, FindReferencesTool, OutlineTool, ReadSymbolTool, SymbolIndex, get_index
from tools.symbols.candidates import definition_files
from tools.symbols.lazy import _CACHE, LazyView, view

FIXTURES = Path(__file__).parents[1] / "fixtures"


async def answer(tool, ctx: ToolContext, **kw) -> str:
    """The text the model would see, errors included."""
    try:
        return (await tool.run(tool.parse(kw), ctx)).text
    except ToolError as exc:
        return f"error: {exc}"


def _age(root: Path) -> None:
    """Old mtimes: the full index trusts its entries instead of re-tagging files written just now."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(folder, name), ns=(1, 1))


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "symbols", root / "src")
    shutil.copytree(FIXTURES / "symbols_lazy", root / "more")
    _age(root)
    return root


def _contexts(root: Path, tmp_path: Path) -> tuple[ToolContext, ToolContext, SymbolIndex]:
    """A context whose index is built and one with no index (lazy), and the built index."""
    full = ToolContext(root=root, cache_dir=tmp_path / "full")
    lazy = ToolContext(root=root, cache_dir=tmp_path / "lazy")
    index = SymbolIndex(root, full.cache_dir)
    index.refresh()
    assert view(root, full.cache_dir) is not None and not isinstance(view(root, full.cache_dir), LazyView)
    assert isinstance(view(root, lazy.cache_dir), LazyView)
    return full, lazy, index


async def _compare(full: ToolContext, lazy: ToolContext, names: list[str], refs: bool) -> list[str]:
    """Names whose answers differ between the index and the lazy path."""
    differ = []
    for name in names:
        for tool, key in ((FindDefinitionsTool(), "name"), (ReadSymbolTool(), "symbol"),
                          *(((FindReferencesTool(), "name"),) if refs else ())):
            want, got = await answer(tool, full, **{key: name}), await answer(tool, lazy, **{key: name})
            if want != got and not _same_miss(want, got):
                differ.append(f"{tool.name}({name})")
    return differ


def _same_miss(want: str, got: str) -> bool:
    """Both miss the symbol; without an index the close names offered may be fewer, never others."""
    head, _, close = want.partition(" Close names: ")
    got_head, _, got_close = got.partition(" Close names: ")
    return (head.startswith("error: no symbol") and head == got_head
            and set(got_close.split(", ")) <= set(close.split(", ")))


async def test_lazy_answers_equal_the_index_on_all_fixture_names(repo: Path, tmp_path: Path) -> None:
    full, lazy, index = _contexts(repo, tmp_path)
    names = sorted(index.by_name())
    dotted = sorted({s.qualname for p in index.files for s in index.symbols(p) if "." in s.qualname})
    langs = {index.files[p][2] for p in index.files}
    assert len(names) >= 150 and len(dotted) >= 40 and langs >= {"python", "javascript", "typescript", "tsx",
                                                                   "go", "rust", "java", "c", "cpp"}
    assert await _compare(full, lazy, names, refs=True) == []
    assert await _compare(full, lazy, dotted, refs=False) == []


async def test_line_filter_narrows_and_keeps_unusual_layouts(repo: Path) -> None:
    root = str(repo)
    assert definition_files(root, "gnu_style") == ["more/tricky.c"]
    assert definition_files(root, "split_typedef_t") == ["more/tricky.c"]
    assert definition_files(root, "convert_to") == ["more/tricky.cpp"]
    assert definition_files(root, "Wrapper") == ["more/tricky.rs"]
    assert definition_files(root, "mapIt") == ["more/Tricky.java"]
    assert definition_files(root, "SecondConst") == ["more/tricky.go"]
    assert definition_files(root, "outer_fn") == ["more/tricky.py"]  # its call in another def is not a candidate
    assert definition_files(root, "~Widget") == ["more/tricky.cpp"]  # not a word: every file with the text


async def test_lazy_view_sees_new_and_edited_files(repo: Path, tmp_path: Path) -> None:
    ctx = ToolContext(root=repo, cache_dir=tmp_path / "c")
    tool = FindDefinitionsTool()
    assert "error" in await answer(tool, ctx, name="brand_new")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "new.py").write_text("def brand_new():\n    pass\n")
    assert "pkg/new.py:1 function brand_new" in await answer(tool, ctx, name="brand_new")
    (repo / "pkg" / "new.py").write_text("\n\ndef brand_new(x):\n    pass\n")
    assert "pkg/new.py:3 function brand_new: def brand_new(x)" in await answer(tool, ctx, name="brand_new")
    assert "Close names: pkg/new.py:brand_new" in await answer(tool, ctx, name="brand_neww")


def _django() -> Path | None:
    """django 5.2's sdist, unpacked where tests/bench/bench_symbols.py keeps it (pip from the local index)."""
    cache = Path("/tmp/pith-bench/django")
    if not any(cache.glob("*/django/db/models/query.py")):
        dl = cache.parent / "dl"
        dl.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "django",
                            "django==5.2.*", "-d", str(dl)], check=True, capture_output=True, timeout=120)
            archive = next(dl.glob("[Dd]jango-5.2*.tar.gz"))
            with tarfile.open(archive) as tar:
                tar.extractall(cache, filter="data")
        except (OSError, subprocess.SubprocessError, StopIteration, tarfile.TarError):
            return None
    return next((p.parents[3] for p in cache.glob("*/django/db/models/query.py")), None)


@pytest.mark.slow  # every name of django 5.2 (~2,900 files) through both paths: ~9 s
async def test_lazy_answers_equal_the_index_on_django(tmp_path: Path) -> None:
    root = _django()
    if root is None:
        pytest.skip("django 5.2 sdist not obtainable with pip (no package index reachable)")
    full, lazy, index = _contexts(root, tmp_path)
    names = sorted(n for n, homes in index.by_name().items() if len(homes) <= 40)
    picked = random.Random(5).sample(names, 45) + ["get_queryset", "save", "Model.save", "QuerySet.filter",
                                                   "BaseModelAdmin.get_queryset", "as_sql"]
    assert await _compare(full, lazy, picked, refs=False) == []


async def test_outlines_without_an_index_equal_the_index(repo: Path, tmp_path: Path) -> None:
    full, lazy, _index = _contexts(repo, tmp_path)
    tool = OutlineTool()
    for path in (".", "src", "more", "more/tricky.cpp", "src/sample.py"):
        assert await answer(tool, lazy, path=path) == await answer(tool, full, path=path), path
    assert not get_index(repo, lazy.cache_dir, refresh=False).complete  # nothing was built for them


async def test_big_folder_outline_without_an_index_tags_only_what_it_shows(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for sub in range(12):
        for i in range(20):
            path = root / "pkg" / f"subpackage_number_{sub}" / f"module_with_a_long_name_{i}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"def function_{i}():\n    pass\n")
    (root / "pkg" / "top.py").write_text("class Top:\n    def run(self):\n        pass\n")
    ctx = ToolContext(root=root, cache_dir=tmp_path / "c")
    text = await answer(OutlineTool(), ctx, path="pkg")
    assert text.startswith("pkg/ (241 files; top-level names")
    assert "top.py: Top(1)" in text and "subpackage_number_3/  (20 files)" in text
    assert set(_CACHE[str(root.resolve())]) == {"pkg/top.py"}  # the 240 files below were not tagged
    _age(root)
    SymbolIndex(root, tmp_path / "c").refresh()
    assert "subpackage_number_3/  (20 files, 20 symbols)" in await answer(OutlineTool(), ctx, path="pkg")
