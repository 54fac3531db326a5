"""Attacks that got past the sandbox or the policy once: each asserts the tree hashes of the repo and of a canary
folder outside it."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_repo
from tools import sandbox
from tools.base import ToolContext
from tools.sandbox import Support
from tools.shell import RunTool


def tree_hash(path: Path) -> str:
    """Names, modes, link targets and contents of everything under `path` (never following symlinks)."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(dirs + files):
            entry = Path(folder) / name
            info = entry.lstat()
            digest.update(f"{entry.relative_to(path)}:{info.st_mode:o}".encode())
            if entry.is_symlink():
                digest.update(os.readlink(entry).encode())
            elif entry.is_file():
                digest.update(entry.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """(repo, canary): a committed repo and a folder next to it that no command may touch."""
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "f.txt").write_text("canary\n")
    return make_repo(tmp_path / "repo", {"app.py": "x = 1\n", ".gitattributes": "*.py filter=evil\n"}), canary


@pytest.fixture(params=["landlock", "landlock+namespaces"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Landlock alone (no user namespaces, as on hosts that restrict them: .git cannot be mounted read-only) and
    the full kernel path."""
    found = sandbox.support()
    namespaces = request.param != "landlock"
    monkeypatch.setitem(sandbox._SUPPORT, "probe", Support(request.param, found.landlock, namespaces))
    return request.param


def run(repo: Path, command: str) -> str:
    """The real `run` tool in the default sandbox mode."""
    tool = RunTool()
    args = tool.parse({"command": command, "timeout": 30})
    return asyncio.run(tool.run(args, ToolContext(root=repo, extra={"sandbox": "workspace-write"}))).text


GIT_CODE = [  # each makes git run `touch PWN` on the next status/add/commit, outside any sandbox
    "python3 -c \"open('.g'+'it/config','a').write('[core]\\n\\tfsmonitor = touch PWN\\n')\"",
    "python3 -c \"open('.g'+'it/config','a').write('[filter \\\"evil\\\"]\\n\\tclean = touch PWN; cat\\n')\"",
    "printf '#!/bin/sh\\ntouch PWN\\n' > x.sh && chmod +x x.sh && cp x.sh .git/hooks/pre-commit",
    "rm -rf .git/hooks && ln -s \"$PWD/hooks\" .git/hooks && mkdir hooks && printf '#!/bin/sh\\ntouch PWN\\n' "
    "> hooks/pre-commit && chmod +x hooks/pre-commit",
    "python3 -c \"open('.g'+'it/info/attributes','w').write('* filter=evil\\n')\" && "
    "python3 -c \"open('.g'+'it/config','a').write('[filter \\\"evil\\\"]\\n\\tclean = touch PWN; cat\\n')\"",
]


@pytest.mark.parametrize("command", GIT_CODE)
def test_git_config_and_hooks_cannot_plant_code(world: tuple[Path, Path], kind: str, command: str) -> None:
    """.git/ is read-only where namespaces exist; with Landlock alone, the command's changes to the files that make
    git run code (config, hooks, info/attributes) are undone when it ends, so pith's own git (checkpoints, --commit)
    and the user's next commit run none of it."""
    repo, canary = world
    pwn = canary / "pwn"
    before = tree_hash(canary), (repo / ".git" / "config").read_bytes()
    run(repo, command.replace("PWN", str(pwn)))
    (repo / "b.py").write_text("y = 2\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, capture_output=True)
    subprocess.run(["git", "-c", "user.name=u", "-c", "user.email=u@x", "commit", "-qm", "m"], cwd=repo,
                   capture_output=True)
    assert not pwn.exists()
    assert (tree_hash(canary), (repo / ".git" / "config").read_bytes()) == before
    assert not list((repo / ".git" / "hooks").glob("pre-commit"))


STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def test_json_result_line_is_redacted(world: tuple[Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The last `--json` line (the result, with the model's summary) masks secrets like every other line."""
    from agent.cli.run import _run
    from agent.settings.config import Settings

    repo, _ = world
    script = tmp_path / "s.jsonl"
    call = {"id": "c1", "type": "function",
            "function": {"name": "finish", "arguments": json.dumps({"summary": f"done {STRIPE}"})}}
    script.write_text(json.dumps({"role": "assistant", "content": "", "tool_calls": [call]}) + "\n")
    settings = Settings(model=f"scripted:{script}", approve="auto", plan=False)
    assert _run(settings, "t", repo, None, tmp_path / "sessions", json_out=True) == 0
    out = capsys.readouterr().out
    assert '"type": "result"' in out and "done [REDACTED]" in out and STRIPE not in out


@pytest.mark.parametrize("secret,text", [
    ("jsonSecretPw99", json.dumps({"path": "c.json", "content": '{"password": "jsonSecretPw99"}'})),  # tool arguments
    ("jsonSecretPw99", json.dumps(json.dumps({"content": '{"db_password": "jsonSecretPw99"}'}))),  # logged twice
    ("a1B2" * 9, "//registry.npmjs.org/:_authToken=npm_" + "a1B2" * 9),
    ("x9Y8" * 5, "GITLAB glpat-" + "x9Y8" * 5),
])
def test_secrets_in_escaped_json_and_more_shapes(secret: str, text: str) -> None:
    """A password inside JSON that is itself a JSON string (how tool arguments reach the log) and npm/GitLab
    tokens are masked."""
    from agent.log.redact import redact_text

    masked = redact_text(text)
    assert secret not in masked and "[REDACTED]" in masked
    if text.startswith("{"):
        assert json.loads(masked)  # still valid JSON


def test_instruction_files_that_point_outside_are_not_read(world: tuple[Path, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A committed AGENTS.md symlink to pith's own /proc/self/environ (the API key) or to a file outside the repo is
    skipped like a missing file: nothing of it reaches the model, and no traceback."""
    from agent.context.instructions import project_instructions

    repo, canary = world
    monkeypatch.setenv("OPENAI_API_KEY", "sk-leak-" + "q" * 24)
    (repo / "AGENTS.md").symlink_to("/proc/self/environ")
    (repo / "CLAUDE.md").symlink_to(canary / "f.txt")
    (repo / "docs").mkdir()
    (repo / "docs" / "AGENTS.md").write_text("Be brief.\n")
    text = project_instructions(repo, repo / "docs")
    assert "Be brief." in text and "sk-leak" not in text and "canary" not in text


def test_project_commands_read_only_regular_files_inside(world: tuple[Path, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`.pith/commands/*.md` symlinks to pith's environ, to a file outside, to /dev/zero or a FIFO are skipped (no key
    in a prompt, no endless read, no hang); a plain command still loads."""
    from agent.frontends.tui.custom_commands import load_commands

    repo, canary = world
    monkeypatch.setenv("OPENAI_API_KEY", "sk-leak-" + "q" * 24)
    folder = repo / ".pith" / "commands"
    folder.mkdir(parents=True)
    (folder / "env.md").symlink_to("/proc/self/environ")
    (folder / "out.md").symlink_to(canary / "f.txt")
    (folder / "zero.md").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.md")
    (folder / "ok.md").write_text("Review $ARGUMENTS\n")
    found = load_commands(repo, None)
    assert sorted(found) == ["ok"]


def test_mentioned_fifo_does_not_hang(world: tuple[Path, Path]) -> None:
    """`@fifo` in a task (a FIFO in the repo, no code extension) gives a one-line error instead of blocking pith
    forever (it ignored SIGTERM: the read sat in a worker thread)."""
    import threading

    from agent.core.mentions import _text_head

    repo, _ = world
    fifo = repo / "pipe"
    os.mkfifo(fifo)
    out: list[str] = []
    worker = threading.Thread(target=lambda: out.append(_text_head(fifo)), daemon=True)
    worker.start()
    worker.join(3)
    if worker.is_alive():  # release the blocked reader so the suite goes on
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert out and "FIFO" in out[0]


@pytest.mark.parametrize("kind_name", ["landlock", "landlock+namespaces", "bwrap"])
def test_no_way_out_through_a_host_unix_socket(world: tuple[Path, Path], tmp_path: Path, kind_name: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket file outside the repo (docker.sock, the D-Bus bus behind `systemd-run --user`, ssh-agent) is out of
    reach: connect() to it is a way out that Landlock and namespaces leave open."""
    import socket

    found = sandbox.support()
    if kind_name == "bwrap" and found.kind != "bwrap":
        kind_name = "landlock+namespaces"
    monkeypatch.setitem(sandbox._SUPPORT, "probe", Support(kind_name, found.landlock, kind_name != "landlock",
                                                           found.bwrap))
    repo, _ = world
    path = str(tmp_path / "host.sock")
    got: list[bytes] = []
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    server.setblocking(False)  # a connection made during the command waits in the backlog
    out = run(repo, f"python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{path}'); "
                    "s.send(b'ESCAPED'); print('connected')\"; python3 -c \"import socket; socket.socketpair(); "
                    "print('pair-ok')\"")
    try:
        connection = server.accept()[0]
        connection.setblocking(True)
        got.append(connection.recv(16))
    except BlockingIOError:
        pass
    server.close()
    assert got == [] and "connected" not in out and "pair-ok" in out


def test_io_uring_is_refused_in_the_sandbox(world: tuple[Path, Path], kind: str) -> None:
    """io_uring opens sockets without the socket() call the filter sees: its setup is refused (EPERM)."""
    repo, _ = world
    out = run(repo, "python3 -c \"import ctypes; c=ctypes.CDLL(None, use_errno=True); p=(ctypes.c_char*120)(); "
                    "print('setup', c.syscall(425, 8, p), ctypes.get_errno())\"")
    assert "setup -1 1" in out


@pytest.mark.parametrize("stream", [False, True])
def test_model_text_cannot_drive_the_terminal(stream: bool) -> None:
    """Text mode shows model text inert: OSC 52 (writes the user's clipboard), a title change or a screen clear in a
    reply, a delta or the summary reach the terminal as visible characters, never as escape sequences."""
    import io

    from agent.core.events import AssistantDelta, AssistantMessage, SessionFinished
    from agent.frontends.render import TextRenderer

    evil = "hi \x1b]52;c;cm0gLXJmIH4K\x07 \x1b[2J there"
    out = io.StringIO()
    renderer = TextRenderer(out, stream=stream)
    if stream:
        renderer.handle(AssistantDelta(text=evil[:5]))
        renderer.handle(AssistantDelta(text=evil[5:] + "\n"))
    renderer.handle(AssistantMessage(step=1, content=evil))
    renderer.handle(SessionFinished(status="finished", summary="done \x1b]0;title\x07"))
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "there" in text and "done" in text
