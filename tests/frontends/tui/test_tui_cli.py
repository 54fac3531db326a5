"""The command line around the TUI: `pith --help` shows how to open, continue and resume it."""
from __future__ import annotations

from typer.testing import CliRunner

from agent.cli.app import app, register_all


def test_root_help_lists_continue_resume_and_model() -> None:
    register_all()
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "-c/--continue" in result.output and "-m/--model MODEL" in result.output
    assert "--resume ID" in result.output and "pith tui --help" in result.output
