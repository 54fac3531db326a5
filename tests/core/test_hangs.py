"""File tools on FIFOs, sockets and slow searches: a clear error at once, never a hang, never a leftover rg."""
from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from agent.core.registry import default_tools
from agent.context.scratchpad import Scratchpad
from tests.conftest import make_repo
from tools.base import ToolContext, ToolError

LIMIT = 10.0  # seconds; a regression fails here instead of hanging the suite


def tree_hash(root: Path) -> str:
    """Names, types and regular-file bytes under root (special files are never opened)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if ".git" in p.relative_to(root).parts:
            continue
        mode = p.lstat().st_mode
        h.update(f"{p.relative_to(root).as_posix()}:{stat.S_IFMT(mode)}\0".encode())
        if stat.S_ISREG(mode):
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repo with a FIFO named like code, a FIFO named like text and a unix socket."""
    root = make_repo(tmp_path / "repo", {"a.py": "def f():\n    return 1\n", "docs/readme.txt": "hello\n"})
    os.mkfifo(root / "pipe.py")
    os.mkfifo(root / "docs" / "notes.txt")
    return root


def call(root: Path, name: str, args: dict[str, Any]) -> str:
    """Run one tool in a thread; if it blocks on a FIFO past LIMIT, unblock it by writing, then fail."""
    tool = default_tools()[name]
    ctx = ToolContext(root=root, extra={"scratchpad": Scratchpad()})
    box: dict[str, str] = {}

    def target() -> None:
        try:
            box["text"] = asyncio.run(tool.run(tool.parse(args), ctx)).text
        except ToolError as exc:
            box["text"] = f"ToolError: {exc}"

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(LIMIT)
    if worker.is_alive():
        for fifo in (root / "pipe.py", root / "docs" / "notes.txt"):
            try:  # a blocked reader gets EOF when a writer opens and closes
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        worker.join(LIMIT)
        pytest.fail(f"{name} {args} blocked for over {LIMIT}s")
    return box["text"]


@pytest.mark.parametrize("name,args", [
    ("read_lines", {"path": "docs/notes.txt"}),
    ("outline", {"path": "pipe.py"}),
    ("edit", {"path": "docs/notes.txt", "old": "a", "new": "b"}),
    ("write_file", {"path": "docs/notes.txt", "content": "x\n"}),
    ("grep", {"pattern": "x", "path": "pipe.py"}),
    ("read_symbol", {"symbol": "pipe.py:f"}),
])
def test_fifo_is_refused_at_once(repo: Path, name: str, args: dict[str, Any]) -> None:
    before = tree_hash(repo)
    text = call(repo, name, args)
    assert text.startswith("ToolError: ") and "is a FIFO (named pipe), not a regular file" in text
    assert tree_hash(repo) == before
    assert stat.S_ISFIFO(os.lstat(repo / "docs" / "notes.txt").st_mode)  # write_file did not replace it


def test_socket_is_refused(repo: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    sock_path = repo / "s.sock"
    os.chdir(repo)  # AF_UNIX paths are short: bind by a relative name
    server.bind("s.sock")
    try:
        text = call(repo, "read_lines", {"path": "s.sock"})
        assert "s.sock is a socket, not a regular file" in text
        assert "socket" in call(repo, "edit", {"path": "s.sock", "old": "a", "new": "b"})
    finally:
        server.close()
        sock_path.unlink()


def test_folder_tools_skip_special_files(repo: Path) -> None:
    before = tree_hash(repo)
    assert "a.py" in call(repo, "outline", {"path": "."})
    assert "a.py" in call(repo, "grep", {"pattern": "return"})
    assert "a.py" in call(repo, "find_references", {"name": "f"})
    assert tree_hash(repo) == before


def rg_children(marker: str) -> list[int]:
    """Processes whose command line carries `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_cancelled_grep_leaves_no_search_running(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.grep as grep_module

    slow = tmp_path / "slow-rg"
    marker = f"pith-slow-rg-{os.getpid()}"
    slow.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import time; time.sleep(30)' {marker}\n")  # an rg that never answers (a stuck search)
    slow.chmod(0o755)
    monkeypatch.setattr(grep_module, "rg_path", lambda: str(slow))

    async def cancel_midway() -> None:
        tool = default_tools()["grep"]
        task = asyncio.ensure_future(tool.run(tool.parse({"pattern": "x"}), ToolContext(root=repo)))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if rg_children(marker):
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(cancel_midway(), LIMIT))
    assert rg_children(marker) == []


def test_grep_timeout_kills_the_search(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.grep as grep_module

    slow = tmp_path / "slow-rg"
    marker = f"pith-stuck-rg-{os.getpid()}"
    slow.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import time; time.sleep(30)' {marker}\n")
    slow.chmod(0o755)
    monkeypatch.setattr(grep_module, "rg_path", lambda: str(slow))
    monkeypatch.setattr(grep_module, "TIMEOUT", 0.5)
    text = call(repo, "grep", {"pattern": "x"})
    assert "grep took over 0s and was stopped" in text or "grep took over 1s and was stopped" in text
    assert rg_children(marker) == []
