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


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Each pith module and the pith modules it imports anywhere (module, function, TYPE_CHECKING, relative)."""
    files = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
             for pkg in ("agent", "tools", "prompts") for p in (root / pkg).rglob("*.py")}

    def known(name: str) -> str | None:
        """The module `name` names, or the nearest package above it that is pith's."""
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        deps: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {known(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                deps |= {known(f"{base}.{alias.name}") if f"{base}.{alias.name}" in files else known(base)
                         for alias in node.names}
        # importing a submodule runs its package's __init__ first: a package is not a dependency of its own modules
        graph[module] = {d for d in deps if d and d != module and not module.startswith(d + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path that ends where it starts, or [] when the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        """Depth-first search from `node`; the cycle found below it, if any."""
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_graph_counts_every_kind_of_import(tmp_path: Path) -> None:
    (tmp_path / "agent" / "ui").mkdir(parents=True)
    for name in ("__init__", "a", "b", "c", "d", "e", "ui/__init__", "ui/f", "ui/g"):
        (tmp_path / "agent" / f"{name}.py").write_text("")
    (tmp_path / "agent" / "ui" / "f.py").write_text(
        "from typing import TYPE_CHECKING\nimport os\nimport agent.a\nfrom agent import b\nfrom . import g\n"
        "from ..c import X\nif TYPE_CHECKING:\n    from agent.d import Y\ndef late():\n    from agent.e import Z\n")
    graph = module_graph(tmp_path)
    assert graph["agent.ui.f"] == {"agent.a", "agent.b", "agent.ui.g", "agent.c", "agent.d", "agent.e"}
    assert graph["agent.ui"] == set() and graph["agent"] == set()


def test_no_import_cycles() -> None:
    cycle = find_cycle(module_graph())
    assert not cycle, "import cycle: " + " -> ".join(cycle)
