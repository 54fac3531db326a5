"""`pith run` and `pith tool`: headless execution with clear errors and meaningful exit codes."""
from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from agent.settings.config import Settings, default_session_dir


def execute(settings: Settings, task: str, session_dir: Path | None, json_out: bool,
            explicit: set[str] | None = None) -> int:
    """Run one task to its end; returns the exit code. `settings` holds the flags; `explicit` names those given."""
    from agent.settings.load import SettingsError, find_root, missing_key, resolve_settings

    root, head = find_root(Path(os.getcwd()))
    try:
        resolved = resolve_settings(root, settings.snapshot(), explicit if explicit is not None else set())
    except SettingsError as exc:
        print(f"pith: {exc}", file=sys.stderr)
        return 2
    settings = resolved.settings
    for notice in resolved.notices:
        print(f"pith: note: {notice}", file=sys.stderr)
    problem = missing_key(settings)
    if problem:
        print(f"pith: {problem}", file=sys.stderr)
        return 2
    if head is None:
        print(f"pith: {root} is not a git repository: tools, edits and tests work; undo checkpoints and "
              "`pith diff` do not", file=sys.stderr)
    return _run(settings, task, root, head, session_dir, json_out)


def _run(settings: Settings, task: str, root: Path, head: str | None, session_dir: Path | None,
         json_out: bool) -> int:
    """Build the session (the heavy imports happen here) and run it headless."""
    from agent.frontends.headless import exit_code, result_line, run_headless
    from agent.log.writer import LogError
    from agent.compose import UsageError, build_session, load_backend

    try:
        session = build_session(settings, root, head, session_dir or default_session_dir(), task)
        load_backend(settings)  # before the turn: --timeout measures the work, not the import
    except UsageError as exc:
        print(f"pith: {exc}", file=sys.stderr)
        return 2
    except LogError as exc:
        print(f"pith: {exc} (use --session-dir to choose another folder)", file=sys.stderr)
        return 2
    result = asyncio.run(run_headless(session, task, json_mode=json_out))
    if json_out:
        print(result_line(result), flush=True)
    elif result.log_path:
        print(f"session log: {result.log_path}", file=sys.stderr)
    if settings.commit and result.files_changed:
        commit_changes(session, result.summary, result.files_changed)
    return exit_code(result.status)


def commit_changes(session: object, summary: str, files: list[str] | None = None) -> None:
    """--commit: commit only the files the session wrote (`files`, e.g. files_changed), with a generated message."""
    try:
        from tools.checkpoint import Checkpoints

        cps = Checkpoints(session.root, session.id)  # type: ignore[attr-defined]
        first = (summary.strip().splitlines() or ["changes"])[0][:72]
        message = f"pith: {first}\n\n{summary.strip()}\n\nSession: {session.id}"  # type: ignore[attr-defined]
        sha = cps.commit(message, files)
        print(f"committed {sha[:10]}", file=sys.stderr)
        if cps.skipped:
            print(f"pith: not committed: {', '.join(cps.skipped)}", file=sys.stderr)
    except Exception as exc:
        print(f"pith: could not commit: {exc}", file=sys.stderr)


def run_tool(name: str, raw_args: str, force: bool = False, sandbox: str | None = None) -> int:
    """Run a single tool in the current repo, under the config's deny rules and sandbox; print what the model sees."""
    from agent.core.registry import DEFAULT_TOOLS, default_tools
    from agent.context.scratchpad import Scratchpad
    from agent.settings.load import SettingsError, find_root, resolve_settings
    from tools.base import ToolContext, ToolError

    tool = default_tools({name}).get(name)  # import only the tool asked for: `pith tool` starts fast
    if tool is None:
        print(f"pith: unknown tool {name!r}; tools: {', '.join(n for n, _, _ in DEFAULT_TOOLS)}", file=sys.stderr)
        return 2
    if tool.session_only and not tool.read_only:
        print(f"pith: `{name}` acts on a running session (it ends or compacts it): only the model calls it, "
              "inside `pith run` or the TUI", file=sys.stderr)
        return 2
    try:
        args = json.loads(raw_args)
        if not isinstance(args, dict):
            raise ValueError("not an object")
    except (json.JSONDecodeError, ValueError) as exc:
        print(f"pith: arguments must be a JSON object, e.g. '{{\"pattern\": \"x\"}}' ({exc})", file=sys.stderr)
        return 2
    root, _ = find_root(Path(os.getcwd()))
    flags = {"approve": "auto", **({"sandbox": sandbox} if sandbox else {})}
    try:
        settings = resolve_settings(root, {**Settings().snapshot(), **flags}, set(flags)).settings
    except SettingsError as exc:
        print(f"pith: {exc}", file=sys.stderr)
        return 2
    ctx = ToolContext(root=root, extra={"scratchpad": Scratchpad(), "sandbox": settings.sandbox,
                                        "pass_env": tuple(settings.pass_env)})
    try:
        parsed = tool.parse(args)
        refusal = _tool_policy(name, tool.approval(parsed, ctx), settings, force)
        if refusal:
            print(refusal, file=sys.stderr)
            return 2
        result = asyncio.run(tool.run(parsed, ctx))
    except ToolError as exc:
        print(f"error: {exc}")
        return 1
    print(result.text)
    return 1 if result.is_error else 0


def _tool_policy(name: str, approval: object, settings: Settings, force: bool) -> str:
    """'' when `pith tool` may run the call; config deny rules hold even with --force."""
    if approval is None:
        return ""
    from agent.core.approval import Policy, sandbox_policy

    policy = sandbox_policy(Policy(mode="auto", allow=settings.allow, deny=settings.deny), settings.sandbox)
    decision, reason = policy.decide(name, approval)  # type: ignore[arg-type]
    if decision == "deny" and "deny rule" in reason:
        return f"pith: {reason}"
    if decision != "allow" and not force:
        return f"pith: the approval policy would {decision} this ({reason}); add --force to run it anyway"
    return ""
