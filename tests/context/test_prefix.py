"""The fixed prefix every request carries: tool schemas and system prompt stay lean, instructions are read once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.core.control import NoteTool, split_pointer
from agent.core.registry import default_tools
from agent.context.scratchpad import Scratchpad
from agent.context.tokens import count_text
from prompts import load
from tools.base import ToolContext

REQUIRED = {"plan": ["steps"], "grep": ["pattern"], "outline": ["path"], "read_symbol": ["symbol"],
            "find_definitions": ["name"], "find_references": ["name"], "read_lines": ["path"],
            "edit": ["path", "old", "new"], "replace_symbol": ["symbol", "new_source"],
            "write_file": ["path", "content"],
            "run": ["command"], "note": ["text"], "compact": [], "finish": ["summary"]}


def test_tool_schemas_fit_in_1000_tokens() -> None:
    tools = [t.schema() for t in default_tools().values()]
    assert count_text(json.dumps(tools)) <= 1000  # cl100k over the JSON sent with every request


def test_tool_names_and_required_arguments_are_the_contract() -> None:
    tools = {t.name: t.schema()["function"] for t in default_tools().values()}
    assert set(tools) == set(REQUIRED)
    for name, fn in tools.items():
        assert fn["parameters"].get("required", []) == REQUIRED[name], name
        assert len(fn["description"]) > 20, name  # says what it does and returns
    assert "verify" in tools["finish"]["parameters"]["properties"]


def test_system_prompt_fits_in_300_tokens_and_says_how_to_work() -> None:
    text = load("system.md").format(root="/home/someone/projects/a-repository")
    assert count_text(text) <= 300
    for word in ("plan", "read_symbol", "note", "edit", "run", "finish", "verify", "in order"):
        assert word in text, word


def test_hidden_arguments_are_still_accepted(tmp_path: Path) -> None:
    """Optional arguments dropped from the schemas (older sessions used them; errors name them) still validate."""
    tools = default_tools()
    hidden = {"grep": {"pattern": "x", "ignore_case": True, "glob": "*.py"}, "compact": {"focus": "auth"},
              "read_symbol": {"symbol": "a.py:f", "skeleton": True}}
    for name, args in hidden.items():
        shown = tools[name].schema()["function"]["parameters"]["properties"]
        assert not set(args) - set(tools[name].Params.model_fields)
        assert all(key not in shown for key in args if key not in ("pattern", "symbol")), name
        assert tools[name].parse(args).model_dump(exclude_defaults=True) == args
    note = NoteTool()
    assert set(note.schema()["function"]["parameters"]["properties"]) == {"text", "at"}
    assert note.parse({"text": "t", "path": "a.py", "lines": "1-2"}).lines == "1-2"


async def test_note_at_points_at_code(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    pad = Scratchpad()
    ctx = ToolContext(root=tmp_path, extra={"scratchpad": pad})
    note = NoteTool()
    result = await note.run(note.parse({"text": "f returns 1", "at": "a.py:f:1-2"}), ctx)
    fact = result.outcome.fact  # the session's reducer records it when it folds the NoteAdded event
    assert (fact["path"], fact["symbol"], fact["lines"]) == ("a.py", "f", "1-2") and fact["hash"]
    assert result.text == "noted #1" and not pad.facts
    assert split_pointer("src/x.py:12") == ("src/x.py", None, "12")
    assert split_pointer("src/x.py:Cls.m") == ("src/x.py", "Cls.m", None)


def test_instruction_imports_resolve_once(tmp_path: Path) -> None:
    from agent.context.instructions import project_instructions

    (tmp_path / "docs").mkdir()
    (tmp_path / "AGENTS.md").write_text("# Rules\nUse tabs.\nStyle: @docs/style.md\n")
    (tmp_path / "CLAUDE.md").write_text("@AGENTS.md\n")  # only an import: no section of its own, no duplicate
    (tmp_path / "docs" / "style.md").write_text("Short lines. Back to @../AGENTS.md (a cycle), `@code.md` is code\n"
                                                "```\n@docs/missing.md\n```\n")
    (tmp_path / "copy.md").write_text("# Rules\nUse tabs.\nStyle: @docs/style.md\n")
    outside = tmp_path.parent / "secret.md"
    outside.write_text("SECRET")
    (tmp_path / "CLAUDE.md").write_text(f"@AGENTS.md\n@copy.md\n@../{outside.name}\n")
    text = project_instructions(tmp_path)
    assert text.count("Use tabs.") == 1 and text.count("Short lines.") == 1  # same text once, cycle-safe
    assert text.index("# AGENTS.md") < text.index("# docs/style.md")
    assert "# CLAUDE.md" in text and "SECRET" not in text  # files outside the repository are never read
    assert "@../secret.md" in text  # an import that does not resolve stays as written


def test_instructions_over_their_share_are_cut_with_a_notice(tmp_path: Path) -> None:
    from agent.settings.config import Settings
    from agent.context.manager import INSTRUCTIONS_SHARE, ContextManager

    ctx = ContextManager(root=tmp_path, system_prompt="SYS", instructions="rule number one. " * 3000)
    ctx.configure("scripted:x", Settings(context_budget=20000))
    assert count_text(ctx.instructions) <= 20000 * INSTRUCTIONS_SHARE + 40
    assert ctx.notices and "first 2000 tokens" in ctx.notices[0]


def test_context_budget_setting_takes_a_number_or_full(tmp_path: Path) -> None:
    from agent.settings.load import SettingsError, resolve_settings
    from conftest import make_repo

    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    user = tmp_path / "user.toml"
    base = {"model": "anthropic/claude-sonnet-4-5", "approve": "auto", "max_steps": 50}
    for text, expected in (('context_budget = "full"\n', "full"), ("context_budget = 60000\n", 60000)):
        user.write_text(text)
        got = resolve_settings(repo, dict(base), set(), user_file=user, trust_file=tmp_path / "t.json")
        assert got.settings.context_budget == expected
    user.write_text('context_budget = "lots"\n')
    with pytest.raises(SettingsError, match="context_budget.*full"):
        resolve_settings(repo, dict(base), set(), user_file=user, trust_file=tmp_path / "t.json")


def test_too_small_budget_is_refused_with_the_real_prefix(tmp_path: Path) -> None:
    from agent.backends.scripted import ScriptedModel
    from agent.settings.config import Settings
    from agent.context.manager import fixed_prefix_tokens
    from agent.compose import UsageError, build_session

    fixed = fixed_prefix_tokens(tmp_path)
    assert 1000 < fixed < 1400  # tools (~990) + system prompt (~290), no instructions here
    with pytest.raises(UsageError, match=f"at least {fixed + 2000} tokens: .* take {fixed} "):
        build_session(Settings(model="scripted:x", context_budget=fixed + 100), tmp_path, None, None, "t",
                      model=ScriptedModel([]))
    build_session(Settings(model="scripted:x", context_budget=fixed + 2000), tmp_path, None, None, "t",
                  model=ScriptedModel([]))
