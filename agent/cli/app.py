"""The `pith` command: the one place that wires settings, core and front ends together."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from agent import __version__
from agent.cli.common import (
    ApiBaseOpt, ApproveOpt, ModelOpt, SandboxOpt, SessionDirOpt, check_sandbox, explicit_params, fail,
)

app = typer.Typer(
    add_completion=False, no_args_is_help=False, rich_markup_mode=None, pretty_exceptions_enable=False,
    help="pith: a disciplined terminal coding agent. `pith` opens the terminal UI; `pith run TASK` runs headless.",
    epilog="\b\nThe terminal UI (every option: pith tui --help):\n"
           "  pith [TASK] [-m/--model MODEL] [--api-base URL] [--approve ask|auto|never]\n"
           "  pith -c/--continue     continue the latest session of this repository\n"
           "  pith --resume ID       resume an earlier session (ids: pith sessions)",
)


def version_callback(value: bool) -> None:
    """--version."""
    if value:
        typer.echo(f"pith {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True, help="show the version")] = False,
) -> None:
    """Open the terminal UI when no command is given."""
    if ctx.invoked_subcommand is None:
        from agent.cli.tui import tui

        ctx.invoke(tui, ctx=ctx)


def read_task(task: Optional[str], task_file: Optional[Path]) -> str:
    """The task text from the argument, stdin (`-`) or a file; empty is a usage error."""
    if task_file is not None:
        try:
            text = task_file.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read --task-file {task_file}: {exc.strerror}")
    elif task == "-":
        text = sys.stdin.read()
    else:
        text = task or ""
    if not text.strip():
        fail("empty task: give it as an argument, `-` for stdin, or --task-file FILE")
    return text.strip()


@app.command()
def run(
    ctx: typer.Context,
    task: Annotated[Optional[str], typer.Argument(help="the task; `-` reads it from stdin")] = None,
    task_file: Annotated[Optional[Path], typer.Option("--task-file", help="read the task from a file")] = None,
    model: ModelOpt = "anthropic/claude-sonnet-4-5",
    api_base: ApiBaseOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSONL events on stdout; the last line is the result")] = False,
    max_steps: Annotated[int, typer.Option("--max-steps", help="model calls before stopping")] = 50,
    max_cost: Annotated[Optional[float], typer.Option("--max-cost", help="USD before stopping")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="wall-clock seconds before stopping")] = None,
    approve: ApproveOpt = "auto",
    no_plan: Annotated[bool, typer.Option("--no-plan", help="do not ask the model for a plan first")] = False,
    session_dir: SessionDirOpt = None,
    context_budget: Annotated[Optional[str], typer.Option("--context-budget", help="the model's working budget: N tokens, or `full` for the whole window (default 32000)")] = None,
    commit: Annotated[bool, typer.Option("--commit", help="commit the session's changes at the end")] = False,
    sandbox: SandboxOpt = "workspace-write",
    network: Annotated[bool, typer.Option("--network", help="let sandboxed commands use the network (blocked by default)")] = False,
    tool_protocol: Annotated[str, typer.Option("--tool-protocol", help="native | text | auto: how tools reach the model (auto: native, text if the server refuses)")] = "auto",
    no_stream: Annotated[bool, typer.Option("--no-stream", help="ask for whole replies (llama.cpp cannot stream with tools)")] = False,
) -> None:
    """Run a task headless: human text (or --json events), then exit 0 finished, 1 not completed, 2 usage
    error, 3 limit reached, 4 model/provider error, 130 interrupted."""
    from agent.cli.run import execute
    from agent.settings.config import APPROVAL_MODES, TOOL_PROTOCOLS, Settings
    from agent.context.tokens import parse_budget

    text = read_task(task, task_file)
    if approve not in APPROVAL_MODES:
        fail(f"--approve must be ask, auto or never (got {approve!r})")
    check_limits(max_steps, max_cost, timeout, context_budget)
    sandbox = check_sandbox(sandbox)
    if tool_protocol not in TOOL_PROTOCOLS:
        fail(f"--tool-protocol must be native, text or auto (got {tool_protocol!r})")
    settings = Settings(model=model, api_base=api_base, approve=approve, max_steps=max_steps, max_cost=max_cost,
                        timeout=timeout, plan=not no_plan, context_budget=parse_budget(context_budget), commit=commit, sandbox=sandbox, network=network,
                        tool_protocol=tool_protocol, stream=not no_stream)
    raise typer.Exit(execute(settings, text, session_dir, json_out, explicit_params(ctx)))


def check_limits(max_steps: int, max_cost: Optional[float], timeout: Optional[float],
                 context_budget: Optional[str] = None) -> None:
    """Limits must be positive; a zero or negative limit is a usage error, not 'no limit'."""
    if max_steps < 1:
        fail(f"--max-steps must be at least 1 (got {max_steps})")
    if max_cost is not None and max_cost <= 0:
        fail(f"--max-cost must be more than 0 USD (got {max_cost})")
    if timeout is not None and timeout <= 0:
        fail(f"--timeout must be more than 0 seconds (got {timeout})")
    if context_budget is not None:
        from agent.context.manager import budget_problem, fixed_prefix_tokens
        from agent.settings.load import find_root

        problem = budget_problem(context_budget, fixed_prefix_tokens(find_root(Path.cwd())[0], Path.cwd()))
        if problem:
            fail(f"--context-budget {problem}")


@app.command()
def demo(
    session_dir: SessionDirOpt = None,
    target: Annotated[Optional[Path], typer.Option("--dir", help="where to put the sample repo (default: a temp dir)")] = None,
) -> None:
    """Fix a real failing test in a bundled sample repo with a scripted model: no API key needed."""
    from agent.demo import run_demo

    raise typer.Exit(run_demo(target, session_dir))


@app.command("tool")
def tool_cmd(
    name: Annotated[str, typer.Argument(help="tool name, e.g. grep")],
    args: Annotated[str, typer.Argument(help="JSON arguments, e.g. '{\"pattern\": \"def login\"}'")] = "{}",
    force: Annotated[bool, typer.Option("--force", help="run a command the approval policy would refuse or ask about")] = False,
    sandbox: Annotated[Optional[str], typer.Option("--sandbox", help="workspace-write | read-only | off (default: the config's, else workspace-write)")] = None,
) -> None:
    """Run one tool in the current repository and print exactly what the model would see."""
    from agent.cli.run import run_tool

    raise typer.Exit(run_tool(name, args, force, check_sandbox(sandbox) if sandbox is not None else None))


CLI_MODULES = ("agent.cli.sessions", "agent.cli.tui", "agent.cli.replay", "agent.cli.batch", "agent.cli.git",
               "agent.cli.trust", "agent.cli.inspect")


def register_all() -> None:
    """Attach each front end's commands (each module has `register(app)`; imports stay light)."""
    import importlib

    for name in CLI_MODULES:
        importlib.import_module(name).register(app)


def main() -> None:
    """Console entry point."""
    argv = sys.argv[1:]
    register_all()
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    commands |= {g.name for g in app.registered_groups}
    if argv and argv[0] not in commands and argv[0] not in ("--help", "-h", "--version"):
        sys.argv.insert(1, "tui")  # `pith "fix the login test"` / `pith -m MODEL` open the UI
    app()
