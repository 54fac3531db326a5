"""The `pith` console entry: `pith tool NAME [ARGS]` without options skips typer's start-up; the rest is the CLI."""
from __future__ import annotations

import sys


def main() -> None:
    """Console entry point."""
    argv = sys.argv[1:]
    if len(argv) in (2, 3) and argv[0] == "tool" and not any(a.startswith("-") for a in argv[1:]):
        from agent.cli.run import run_tool  # a symbol query is answered before typer would have loaded

        sys.exit(run_tool(*argv[1:]))
    from agent.cli.app import main as cli_main

    cli_main()
