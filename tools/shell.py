"""`run`: a shell command in the repository, sandboxed, with a timeout, bounded output and every child killed."""
from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from tools.base import Approval, Args, CommandRan, Tool, ToolContext, ToolError, ToolResult
from tools.output import Capture, cap_output, neutralize  # noqa: F401  (cap_output: re-exported)
from tools.sandbox import DEFAULT_MODE, SandboxError, Support, normalize_mode, support, wrap
from tools.sandbox import gitguard
from tools.sandbox.launch import NO_SANDBOX_EXIT

LIVE_INTERVAL = 0.25
PR_SET_DUMPABLE = 4
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


class RunTool(Tool):
    name = "run"
    description = (
        "Run a bash command in the repo root."
    )
    Params = RunParams
    read_only = False

    def approval(self, args: RunParams, ctx: ToolContext) -> Approval | None:
        """Every command needs the policy's consent."""
        return Approval(kind="command", summary=args.command, pattern=command_pattern(args.command))

    def describe_call(self, args: dict) -> str:
        """Label with the command (control characters made visible: the label reaches terminals)."""
        return f"run {neutralize(str(args.get('command', ''))[:100])}"

    async def run(self, args: RunParams, ctx: ToolContext) -> ToolResult:
        """Execute (confined by the sandbox mode) and report exit code, duration and capped output."""
        if not args.command.strip():
            raise ToolError("empty command")
        timeout = min(args.timeout or ctx.default_timeout, MAX_TIMEOUT)
        try:
            mode = normalize_mode(ctx.extra.get("sandbox", DEFAULT_MODE))
        except SandboxError as exc:
            raise ToolError(str(exc)) from None
        start = time.monotonic()
        kept = gitguard.snapshot(Path(ctx.root)) if _git_writable(mode, ctx.root) else None
        try:
            async with launched(args.command, mode, ctx) as (proc, capture, pump):
                status = await watch(proc, capture, pump, timeout, ctx.extra.get("on_interrupted"), start)
        finally:
            undone = gitguard.restore(Path(ctx.root), kept)
        elapsed = time.monotonic() - start
        text = capture.text() + (f"\n(.git/ is read-only for commands: the changes to {', '.join(undone)} were "
                                 "undone)" if undone else "")
        if status == "timeout":
            return ToolResult(
                f"timed out after {timeout:.0f}s; the process group was killed (with everything it started). Use a "
                f"longer timeout or a narrower command.\n{text}".rstrip(),
                is_error=True, data={"exit_code": None, "timed_out": True, "duration": elapsed},
                outcome=CommandRan(None),
            )
        code = proc.returncode
        if code == NO_SANDBOX_EXIT and "pith: " in text and "sandbox" in text:
            return ToolResult(text.strip(), is_error=True, data={"exit_code": code, "duration": elapsed},
                              outcome=CommandRan(code))
        body = text if text.strip() else "(no output)"
        return ToolResult(f"exit code {code} ({elapsed:.1f}s)\n{body}",
                          data={"exit_code": code, "duration": elapsed, "sandbox": mode}, outcome=CommandRan(code))


def _git_writable(mode: str, root: Path | str) -> bool:
    """Whether commands could write .git/ here (no mount namespace or sandbox profile keeps it read-only)."""
    if mode == "off":
        return False
    found = support(root)
    return not (found.kind in ("bwrap", "seatbelt") or found.namespaces)


@asynccontextmanager
async def launched(command: str, mode: str, ctx: ToolContext
                   ) -> AsyncIterator[tuple[asyncio.subprocess.Process, Capture, asyncio.Future[None]]]:
    """Start the launcher (which confines the command) with a private temp dir and a reader on its output; on the
    way out, stop whatever still runs, drain the pipe, remove the temp dir."""
    sup = support(ctx.root) if mode != "off" else Support("none")
    if mode != "off" and not sup.namespaces:
        _not_dumpable()
    tmp = tempfile.mkdtemp(prefix="pith-run-") if mode != "off" else ""
    env = scrubbed_env(ctx.shell_env, ctx.extra.get("pass_env", ()))
    if tmp:  # caches (go, pip, ...) go to the command's temp dir: HOME is read-only in the sandbox
        env.update(TMPDIR=tmp, XDG_CACHE_HOME=os.path.join(tmp, "cache"))
    argv = wrap(["bash", "-c", command], mode, Path(ctx.root), tmp, sup, network=bool(ctx.extra.get("network")))
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=ctx.root, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        capture = Capture()
        pump = asyncio.ensure_future(_pump(proc, capture, ctx.extra.get("on_output")))
        try:
            yield proc, capture, pump
        finally:
            if proc.returncode is None:
                await stop(proc)
            await asyncio.wait([pump], timeout=2.0)
            pump.cancel()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


async def watch(proc: asyncio.subprocess.Process, capture: Capture, pump: asyncio.Future[None], timeout: float,
                on_interrupted: Callable[[str], None] | None, start: float) -> str:
    """Wait for the command (the reader keeps draining its output); 'done' or 'timeout'."""
    try:
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except asyncio.TimeoutError:
            return "timeout"
        await asyncio.wait([pump], timeout=2.0)  # the launcher killed every other holder of the pipe
        return "done"
    except asyncio.CancelledError:
        await stop(proc)
        await asyncio.wait([pump], timeout=1.0)
        if on_interrupted is not None:
            elapsed = time.monotonic() - start
            on_interrupted(f"interrupted after {elapsed:.1f}s: the command and everything it started were killed. "
                           f"Output so far:\n{capture.text() or '(no output)'}".rstrip())
        raise


async def _pump(proc: asyncio.subprocess.Process, capture: Capture, on_output: Callable[[str], None] | None) -> None:
    """Move output from the pipe into the capture until EOF, handing live text on a few times a second."""
    assert proc.stdout is not None
    last = time.monotonic()
    try:
        while True:
            chunk = await proc.stdout.read(65536)
            if not chunk:
                return
            capture.feed(chunk)
            if on_output is not None and time.monotonic() - last >= LIVE_INTERVAL:
                last = time.monotonic()
                _hand_on(capture, on_output)
    finally:
        if on_output is not None:
            _hand_on(capture, on_output)


def _hand_on(capture: Capture, on_output: Callable[[str], None]) -> None:
    """Give the live output that arrived since the last call to the callback (never let it break the run)."""
    live = capture.take_live()
    if live:
        try:
            on_output(live)
        except Exception:  # a front end's problem must not kill the command's bookkeeping
            pass


async def stop(proc: asyncio.subprocess.Process) -> None:
    """Ask the launcher to kill the command and all it started; kill the launcher's group if it does not exit."""
    try:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 3.0)
    except (ProcessLookupError, asyncio.TimeoutError):
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    await proc.wait()


_DUMPABLE: list[bool] = []


def _not_dumpable() -> None:
    """Without a PID namespace, a same-user command could read /proc/<pith>/environ: make pith non-dumpable
    (the launcher drops the command's capabilities, so root cannot bypass this either)."""
    if _DUMPABLE or not sys.platform.startswith("linux"):
        return
    _DUMPABLE.append(True)
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
