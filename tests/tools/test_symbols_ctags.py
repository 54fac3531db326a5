"""pith's definitions compared with Universal Ctags on the fixtures and on a stdlib package."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tools.languages import language_for
from tools.symbols import SymbolIndex

FIXTURES = Path(__file__).parents[1] / "fixtures" / "symbols"
# ctags kinds that are not definitions pith indexes (data members, enum values, packages, plain variables).
# (Python `import x as y` is a ctags "namespace"; pith's C++/TS namespaces are still checked via fixtures' EXPECTED.)
SKIP_KINDS = {"enumerator", "enumConstant", "field", "package", "property", "variable", "constant", "namespace_alias",
              "unknown", "parameter", "local", "anonMember", "namespace"}
DATA_MEMBER_LANGS = {".c", ".h", ".cpp", ".go"}

pytestmark = pytest.mark.skipif(shutil.which("ctags") is None,
                                reason="Universal Ctags (`ctags`) is not installed; comparison skipped")


def _ctags(root: Path) -> list[tuple[str, str, int, str]]:
    """(path, name, line, kind) for each ctags definition of interest."""
    out = subprocess.run(["ctags", "-R", "--output-format=json", "--fields=+nK", "-f", "-", "."], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    tags = []
    for raw in out.splitlines():
        tag = json.loads(raw)
        if tag.get("_type") != "tag" or tag.get("kind") in SKIP_KINDS or tag["name"].startswith("__anon"):
            continue
        path = tag["path"].removeprefix("./")
        if language_for(path) is None:
            continue  # reStructuredText sections and other files pith has no grammar for
        if tag.get("kind") == "member" and Path(path).suffix in DATA_MEMBER_LANGS:
            continue
        tags.append((path, tag["name"], tag["line"], tag["kind"]))
    return tags


def _recall(root: Path, cache: Path) -> tuple[float, list]:
    """Share of ctags definitions that pith has (same file and name, line inside pith's range)."""
    index = SymbolIndex(root, cache)
    index.refresh(workers=1)
    tags = _ctags(root)
    missing = []
    for path, name, line, kind in tags:
        syms = index.symbols(path)
        if not any(s.name == name and s.start_line <= line <= s.end_line for s in syms):
            missing.append((path, name, line, kind))
    return 1 - len(missing) / max(1, len(tags)), missing


def test_fixtures_match_ctags(tmp_path: Path) -> None:
    root = tmp_path / "fx"
    shutil.copytree(FIXTURES, root)
    recall, missing = _recall(root, tmp_path / "c")
    assert missing == [], missing


def test_stdlib_package_matches_ctags(tmp_path: Path) -> None:
    import email

    root = tmp_path / "email"
    shutil.copytree(Path(email.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    recall, missing = _recall(root, tmp_path / "c")
    assert recall >= 0.99, missing[:20]
