"""`run`: a shell command in the repository, with a timeout, capped output and the process group killed."""
from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from typing import IO

from tools.base import Approval, Args, Tool, ToolContext, ToolError, ToolResult

HEAD_CHARS = 4000
TAIL_CHARS = 6000
MAX_TIMEOUT = 1800.0
SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|SECRET|PASSWORD|ACCESS_KEY|_KEY$)", re.I)


class RunParams(Args):
    command: str
    timeout: float | None = None


def scrubbed_env(base: dict[str, str] | None = None, keep: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """The environment for commands: pith's own credentials removed, except names the user chose to pass."""
    env = dict(os.environ if base is None else base)
    for name in list(env):
        if SECRET_NAME.search(name) and name not in keep:
            del env[name]
    env.setdefault("PAGER", "cat")
    env["GIT_PAGER"] = "cat"
    env.setdefault("CI", "1")
    return env


INTERPRETERS = {"python", "python3", "bash", "sh", "zsh", "node", "perl", "ruby", "npx", "env", "xargs", "eval"}


def command_pattern(command: str) -> str:
    """What 'always allow' remembers: program + subcommand (`git diff`, `pytest`); the exact command for
    interpreters and compound commands, whose first word says nothing about what they do."""
    try:
        words = shlex.split(command)
    except ValueError:
        return command.strip()
    if not words or re.search(r"[;&|<>`$]", command) or words[0].rsplit("/", 1)[-1] in INTERPRETERS:
        return command.strip()
    if len(words) >= 2 and not words[1].startswith("-") and "/" not in words[1] and "." not in words[1]:
        return f"{words[0]} {words[1]}"
    return words[0]


HEAD_LINES = 60
TAIL_LINES = 120


def cap_output(text: str) -> str:
    """Keep the head and tail of long output (by lines, then by characters) and say how much was cut."""
    lines = text.splitlines(keepends=True)
    if len(lines) > HEAD_LINES + TAIL_LINES:
        cut = len(lines) - HEAD_LINES - TAIL_LINES
        text = ("".join(lines[:HEAD_LINES]) + f"[… {cut} lines cut; rerun with a narrower command (e.g. -x, -q, | tail) …]\n"
                + "".join(lines[-TAIL_LINES:]))
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    cut = len(text) - HEAD_CHARS - TAIL_CHARS
    lines_cut = text[HEAD_CHARS:-TAIL_CHARS].count("\n")
    return (
        text[:HEAD_CHARS]
        + f"\n[… {cut} chars / {lines_cut} lines cut; rerun with a narrower command (e.g. -x, -q, | grep) …]\n"
        + text[-TAIL_CHARS:]
    )


class RunTool(Tool):
    name = "run"
    description = (
        "Run a shell command (bash) in the repository root; returns exit code and output (stdout+stderr, head and "
        "tail kept when long). Use it to run tests (e.g. `python -m pytest tests/test_x.py -x -q`), not to read "
        "or edit files. Default timeout 120 s."
    )
    Params = RunParams
    read_only = False

    def approval(self, args: RunParams, ctx: ToolContext) -> Approval | None:
        """Every command needs the policy's consent."""
        return Approval(kind="command", summary=args.command, pattern=command_pattern(args.command))

    def describe_call(self, args: dict) -> str:
        """Label with the command."""
        return f"run {str(args.get('command', ''))[:100]}"

    async def run(self, args: RunParams, ctx: ToolContext) -> ToolResult:
        """Execute and report exit code, duration and capped output."""
        if not args.command.strip():
            raise ToolError("empty command")
        timeout = min(args.timeout or ctx.default_timeout, MAX_TIMEOUT)
        start = time.monotonic()
        # Output goes to a file, not a pipe: a forked background child keeps a pipe open and would stall us.
        with tempfile.TemporaryFile() as sink:
            argv = sandboxed(["bash", "-c", args.command], ctx) if ctx.extra.get("sandbox") else ["bash", "-c", args.command]
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=ctx.root, env=scrubbed_env(ctx.shell_env, ctx.extra.get("pass_env", ())),
                stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )
            timed_out = False
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except asyncio.TimeoutError:
                timed_out = True
            finally:
                if proc.returncode is None:
                    _kill_group(proc)
                    await proc.wait()
            text = _head_tail(sink)
        elapsed = time.monotonic() - start
        if timed_out:
            return ToolResult(
                f"timed out after {timeout:.0f}s; the process group was killed. Use a longer timeout or a narrower "
                f"command.\n{text}".rstrip(),
                is_error=True, data={"exit_code": None, "timed_out": True, "duration": elapsed},
            )
        body = text if text.strip() else "(no output)"
        code = proc.returncode
        return ToolResult(f"exit code {code} ({elapsed:.1f}s)\n{body}", data={"exit_code": code, "duration": elapsed})


def sandboxed(argv: list[str], ctx: ToolContext) -> list[str]:
    """Wrap a command in bubblewrap: the system read-only, the repo writable (not .git/), private /tmp, no network."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise ToolError("--sandbox needs bubblewrap (`bwrap`), which is not installed (Debian/Ubuntu: apt install bubblewrap)")
    root = str(ctx.root)
    jail = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--bind", root, root]
    git_dir = os.path.join(root, ".git")
    if os.path.isdir(git_dir):
        jail += ["--ro-bind", git_dir, git_dir]
    return jail + ["--unshare-net", "--unshare-pid", "--die-with-parent", "--chdir", root, *argv]


def _head_tail(sink: IO[bytes]) -> str:
    """Decode the head and tail of the output file, capped."""
    size = sink.seek(0, os.SEEK_END)
    keep = 4 * (HEAD_CHARS + TAIL_CHARS)
    sink.seek(0)
    if size <= keep:
        return cap_output(sink.read().decode("utf-8", errors="replace"))
    head = sink.read(HEAD_CHARS * 2).decode("utf-8", errors="replace")[:HEAD_CHARS]
    sink.seek(size - TAIL_CHARS * 2)
    tail = sink.read().decode("utf-8", errors="replace")[-TAIL_CHARS:]
    return (
        head + f"\n[… output was {size} bytes; middle cut. Rerun with a narrower command (e.g. -x, -q, | tail) …]\n" + tail
    )


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """Kill the command and every child it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
