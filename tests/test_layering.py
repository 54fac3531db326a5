"""Architecture rules: tools/ never imports agent/; the core never imports textual, typer or rich."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Top-level module names imported anywhere in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_tools_never_import_agent() -> None:
    offenders = [str(p) for p in (ROOT / "tools").rglob("*.py") if "agent" in imports_of(p)]
    assert not offenders


def test_core_never_imports_ui_libraries() -> None:
    offenders = []
    for path in (ROOT / "agent").rglob("*.py"):
        rel = path.relative_to(ROOT / "agent")
        if rel.parts[0] == "cli" or rel.parts[:2] == ("frontends", "tui"):
            continue
        bad = imports_of(path) & {"textual", "typer", "rich", "click"}
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert not offenders


def test_importing_the_core_has_no_heavy_side_effects() -> None:
    code = ("import sys, agent.core.session, agent.core.loop, agent.compose, agent.frontends.headless; "
            "print(sorted(m for m in ('litellm','textual','typer','tiktoken') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_is_fast_and_does_not_import_litellm() -> None:
    code = ("import sys; sys.argv=['pith','--help']\nfrom agent.cli.app import main\ntry:\n main()\nexcept SystemExit:\n pass\n"
            "print('LITELLM' if 'litellm' in sys.modules else 'OK', 'TEXTUAL' if 'textual' in sys.modules else 'OK')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("OK OK")


def test_a_tool_query_from_the_cli_skips_typer(tmp_path: Path) -> None:
    code = ("import sys; sys.argv=['pith','tool','grep','{\"pattern\": \"x\"}']\nfrom agent.cli.entry import main\n"
            "try:\n main()\nexcept SystemExit:\n pass\n"
            "print('TYPER' if 'typer' in sys.modules else 'OK', 'LITELLM' if 'litellm' in sys.modules else 'OK')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path).stdout
    assert out.strip().endswith("OK OK")
