"""Shared fixtures: real git repos in temp dirs, the fake OpenAI server, the pith executable."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import traceback
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

PITH = str(Path(sys.executable).parent / "pith")


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a local identity (CI machines have none)."""
    cmd = ["git", "-c", "user.name=pith tests", "-c", "user.email=tests@pith.invalid", *args]
    return subprocess.run(cmd, cwd=repo, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path, files: dict[str, str]) -> Path:
    """A git repo with `files` committed."""
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture(autouse=True)
def own_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """pith's user-level files (config, trust store, history, symbol cache, default session dir) in a folder of the
    test's own: no test reads the developer's config or another test's files, also when tests run in parallel."""
    base = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(base / name.lower()))


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """The bundled sample shop repo (one failing test), committed."""
    from agent.demo import prepare_repo

    return prepare_repo(tmp_path)


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    """A private folder for session logs."""
    d = tmp_path / "sessions"
    d.mkdir()
    return d


def pith_env(session_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a pith subprocess: no real keys, a private session dir."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"PITH_SESSION_DIR": str(session_dir), "OPENAI_API_KEY": "sk-test-not-a-real-key-000000", **extra})
    return env


def run_pith(args: list[str], cwd: Path, session_dir: Path, stdin: str | None = None, timeout: float = 120,
             **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `pith` command."""
    return subprocess.run([PITH, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=pith_env(session_dir, **env))


def jsonl(text: str) -> list[dict]:
    """Parse JSONL stdout."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class PithTimeout(BaseException):  # not an Exception: pith's own handlers must not swallow it
    """pith_in_process ran past its timeout."""


def _timed_out(signum: int, frame: object) -> None:
    """SIGALRM during pith_in_process."""
    raise PithTimeout("pith did not finish in time")


def pith_in_process(args: list[str], cwd: Path, session_dir: Path, stdin: str | None = None, timeout: float = 120,
                    **env: str) -> subprocess.CompletedProcess[str]:
    """Run the `pith` console entry inside this process: same argv, cwd, environment, stdio and exit code as
    run_pith, without a new interpreter importing litellm again (~5 s each). For tests about what a command does;
    tests about the process itself (signals, kill, start-up) keep run_pith."""
    (main,) = entry_points(group="console_scripts", name="pith")  # wherever pyproject points the command
    saved = (dict(os.environ), os.getcwd(), sys.argv, sys.stdin, sys.stdout, sys.stderr)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    previous = signal.signal(signal.SIGALRM, _timed_out)  # run_pith's timeout: a hang fails the test, not the run
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        environ = pith_env(session_dir, **env)
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd)
        sys.argv, sys.stdin, sys.stdout, sys.stderr = [PITH, *args], io.StringIO(stdin or ""), out, err
        main.load()()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=err)
    except PithTimeout:
        raise
    except BaseException:  # what the interpreter would print before exiting 1
        traceback.print_exc(file=err)
        code = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        environ, cwd_before, sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
        os.environ.clear()
        os.environ.update(environ)
        os.chdir(cwd_before)
    return subprocess.CompletedProcess([PITH, *args], code, out.getvalue(), err.getvalue())


TRIGGERS = set("/@!#?")  # characters that may open a menu or a screen: always pressed on their own


def _typed_run(keys: list[str], start: int) -> int:
    """End of the run of plain typed characters (printable, not a trigger) that starts at `start`."""
    end = start
    while end < len(keys) and len(keys[end]) == 1 and keys[end].isprintable() and keys[end] not in TRIGGERS:
        end += 1
    return end


@pytest.fixture(autouse=True)
def typed_text_in_one_burst(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot waits for the app to go idle twice after every key (>= 40 ms a key, more on a busy machine). The
    characters that follow a key press are sent as one burst, as a fast typist or a paste delivers them, and waited
    for once. Named keys (enter, escape, ctrl+...), menu triggers (/ @ ! # ?) and the key before each burst, which
    may move the focus, keep Pilot's own wait after each."""
    from textual import events
    from textual._wait import wait_for_idle
    from textual.app import App

    original = App._press_keys

    async def press_keys(app: App, keys: Any) -> None:
        keys = list(keys)
        i = 0
        while i < len(keys):
            await original(app, keys[i:i + 1])
            end = _typed_run(keys, i + 1)
            if end > i + 1:
                for char in keys[i + 1:end]:
                    key = events.Key(char if char.isalnum() else _key_name(char), char)
                    key.set_sender(app)
                    app._driver.send_message(key)
                await wait_for_idle(0)
                await app._animator.wait_until_complete()
                await wait_for_idle(0)
            i = end if end > i + 1 else i + 1

    monkeypatch.setattr(App, "_press_keys", press_keys)


def _key_name(char: str) -> str:
    """Textual's key name for a printable character (`/` is "slash", space is "space")."""
    from textual.keys import _character_to_key

    return _character_to_key(char)
