"""The command sandbox through the real `run` tool: confinement, keys out of reach, orphans, floods, live output."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.core.approval import Policy
from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.core.events import CommandOutput, Notice, ToolCallFinished
from agent.compose import build_session
from tests.conftest import make_repo
from tools import sandbox
from tools.base import Approval, ToolContext
from tools.sandbox import Support
from tools.sandbox.policy import parse, read_only_command
from tools.shell import RunTool

KINDS = ["native", "bwrap"]  # the kernel path (Landlock + namespaces) and bubblewrap when it is installed


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repo next to a sibling folder."""
    (tmp_path / "sib").mkdir()
    (tmp_path / "sib" / "f.txt").write_text("canary\n")
    return make_repo(tmp_path / "repo", {"app.py": "x = 1\n"})


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once per way of confining that this machine has (bubblewrap only where installed)."""
    found = sandbox.support()
    if request.param == "native":
        monkeypatch.setitem(sandbox._SUPPORT, "probe", Support("landlock+namespaces", found.landlock, found.namespaces))
    elif found.kind != "bwrap":
        monkeypatch.setitem(sandbox._SUPPORT, "probe", Support("landlock+namespaces", found.landlock, found.namespaces))
    return request.param


def run(repo: Path, command: str, timeout: float = 30, **extra: object) -> tuple[str, dict]:
    """The real tool, as the loop calls it; (text, data)."""
    tool = RunTool()
    result = asyncio.run(tool.run(tool.parse({"command": command, "timeout": timeout}), ToolContext(root=repo, extra=dict(extra))))
    return result.text, result.data


def test_this_machine_confines_commands() -> None:
    found = sandbox.support()
    assert found.confined and found.landlock >= 1 and found.namespaces, found


def test_writes_only_in_the_repo_and_tmpdir(repo: Path, kind: str) -> None:
    cmd = ("touch inside.txt && echo in-ok; touch ../sib/x 2>/dev/null || echo sib-denied; "
           "touch .git/x 2>/dev/null || echo git-denied; touch $TMPDIR/t && echo tmp-ok; "
           "touch $HOME/pith-sandbox-x 2>/dev/null || echo home-denied; git status --short")
    text, data = run(repo, cmd)
    for word in ("in-ok", "sib-denied", "git-denied", "tmp-ok", "home-denied", "?? inside.txt"):
        assert word in text, text
    assert data["exit_code"] == 0 and not (repo / ".git" / "x").exists() and not (repo.parent / "sib" / "x").exists()


def test_multiprocessing_works_confined(repo: Path, kind: str) -> None:
    # A semaphore lives in /dev/shm: test runners such as pytest-xdist need it, so it is a private tmpfs, writable.
    code = "import multiprocessing as m; l = m.Lock(); l.acquire(); l.release(); print('lock-ok')"
    text, data = run(repo, f'{sys.executable} -c "{code}"')
    assert "lock-ok" in text and data["exit_code"] == 0, text


@pytest.mark.parametrize("network", [False, True])
def test_network_only_when_allowed(repo: Path, kind: str, network: bool) -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        text, _ = run(repo, f"(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo connected || echo refused",
                      network=network)
    finally:
        server.close()
    assert ("connected" if network else "refused") in text, text


def test_read_only_mode(repo: Path) -> None:
    text, _ = run(repo, "touch made.txt 2>/dev/null || echo denied; touch $TMPDIR/t && echo tmp-ok", sandbox="read-only")
    assert "denied" in text and "tmp-ok" in text and not (repo / "made.txt").exists()


PROBE_KEYS = r"""
import asyncio, sys
from pathlib import Path
from tools.base import ToolContext
from tools.shell import RunTool
tool = RunTool()
cmd = ("tr '\\0' '\\n' </proc/$PPID/environ 2>/dev/null | grep -c sk-ant-leak; "
       "for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null; done | tr '\\0' '\\n' | grep -c sk-ant-leak; "
       "cat /proc/{pith}/environ 2>/dev/null | tr '\\0' '\\n' | grep -c sk-ant-leak")
ctx = ToolContext(root=Path(sys.argv[1]), extra={"sandbox": sys.argv[2]})
import os
from tools import sandbox
found = sandbox.support()
if sys.argv[3] != "found":  # the kernel path with namespaces, or Landlock alone (pith non-dumpable, no capabilities)
    sandbox._SUPPORT["probe"] = sandbox.Support(sys.argv[3], found.landlock, sys.argv[3] != "landlock")
print(asyncio.run(tool.run(tool.parse({"command": cmd.replace("{pith}", str(os.getpid()))}), ctx)).text)
"""


@pytest.mark.parametrize("mode,kind", [("workspace-write", "found"), ("workspace-write", "landlock+namespaces"),
                                       ("workspace-write", "landlock"), ("read-only", "found"), ("off", "found")])
def test_api_keys_are_out_of_reach(repo: Path, mode: str, kind: str) -> None:
    """pith (a process whose exec environment holds the key) runs a command that looks for the key in its parent's,
    every visible process's and pith's own /proc/PID/environ; with sandbox off the same probe finds it."""
    env = {**os.environ, "ANTHROPIC_API_KEY": "sk-ant-leak-" + "k" * 20, "PYTHONPATH": str(Path(__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", PROBE_KEYS, str(repo), mode, kind], env=env, capture_output=True, text=True,
                         timeout=60).stdout
    counts = [line.strip() for line in out.splitlines()[1:] if line.strip().isdigit()]  # errors are not leaks
    if mode == "off":
        assert len(counts) == 3 and counts[2] == "1", out  # the probe can find it: the assertions above are not vacuous
    else:
        assert counts == ["0", "0", "0"], out


@pytest.mark.parametrize("mode", ["workspace-write", "off"])
def test_setsid_and_nohup_children_die_with_the_command(repo: Path, mode: str) -> None:
    marker = f"{os.getpid() % 1000}.{time.time_ns() % 10**6}"
    text, _ = run(repo, f"setsid sleep 10{marker} & nohup sleep 20{marker} >/dev/null 2>&1 & (sleep 30{marker} &); echo started",
                  sandbox=mode)
    assert "started" in text
    time.sleep(0.3)
    from tests.security.test_safety import _running

    assert not _running(marker), _running(marker)


def test_yes_flood_is_bounded(repo: Path, tmp_path: Path) -> None:
    start = time.monotonic()
    text, data = run(repo, "yes", timeout=2)
    assert data["timed_out"] and time.monotonic() - start < 10
    assert len(text) < 12_000 and "bytes" in text and "cut" in text
    size = int(text.split("output was ")[1].split(" bytes")[0])
    assert size > 10_000_000  # it really flooded, and none of it went to a file


def test_control_sequences_are_neutralized(repo: Path) -> None:
    text, _ = run(repo, r"printf '\033]0;evil title\007\033[2J\033[31mred\033[0m\r\nbell\a\n'")
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "␛]0;evil title␇␛[2J␛[31mred" in text


def session_for(repo: Path, calls: list[str], **settings: object):
    """A headless session with scripted `run` calls."""
    turns = [{"role": "assistant", "content": "", "tool_calls": [
        {"id": f"c{i}", "type": "function", "function": {"name": "run", "arguments": f'{{"command": {cmd!r}}}'.replace("'", '"')}}]}
        for i, cmd in enumerate(calls)]
    turns.append({"role": "assistant", "content": "", "tool_calls": [
        {"id": "end", "type": "function", "function": {"name": "finish", "arguments": '{"summary": "done"}'}}]})
    opts = {"approve": "auto", "plan": False, **settings}
    return build_session(Settings(model="scripted:x", **opts), repo, None, None, "t", model=ScriptedModel(turns))


async def collect(session, task: str = "t") -> list:
    """Run one turn and return every event."""
    from agent.core.ops import SubmitTurn, Shutdown

    events = []

    async def reader() -> None:
        async for event in session.events():
            events.append(event)

    task_ = asyncio.ensure_future(reader())
    session.start()
    session.submit(SubmitTurn(text=task))
    await session.wait_turn()
    session.submit(Shutdown())
    await task_
    return events


def test_live_output_events_per_call(repo: Path) -> None:
    session = session_for(repo, ["for i in 1 2 3 4; do echo line$i; sleep 0.35; done"])
    events = asyncio.run(collect(session))
    live = [e for e in events if isinstance(e, CommandOutput)]
    assert len(live) >= 2 and {e.call_id for e in live} == {"c0"}
    assert "".join(e.text for e in live).split() == ["line1", "line2", "line3", "line4"]
    assert not any(e.durable for e in live)


def test_interrupted_command_keeps_its_partial_output(repo: Path) -> None:
    marker = f"{os.getpid() % 1000}.{time.time_ns() % 10**6}"
    session = session_for(repo, [f"echo partial-out; sleep 40{marker}"], timeout=3)
    events = asyncio.run(collect(session))
    finished = [e for e in events if isinstance(e, ToolCallFinished) and e.call_id == "c0"]
    assert len(finished) == 1 and "partial-out" in finished[0].text
    assert finished[0].text.startswith("error: stopped: timeout (3s); interrupted after")
    assert finished[0].data.get("interrupted")
    tool_messages = [m for m in session.history if m.get("role") == "tool"]
    assert len(tool_messages) == 1 and "partial-out" in tool_messages[0]["content"]  # one answer per call
    from tests.security.test_safety import _running

    assert not _running(f"sleep 40{marker}")


def test_sandbox_off_is_loud(repo: Path) -> None:
    events = asyncio.run(collect(session_for(repo, ["true"], sandbox="off")))
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert sum("sandbox OFF" in n for n in notices) == 1


def test_no_sandbox_available_asks_or_denies_in_auto(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sandbox._SUPPORT, "probe", Support("none"))
    session = session_for(repo, ["touch made.txt", "git status --short && python -m pytest --version"])
    events = asyncio.run(collect(session))
    results = {e.call_id: e for e in events if isinstance(e, ToolCallFinished)}
    assert results["c0"].is_error and "no sandbox" in results["c0"].text and not (repo / "made.txt").exists()
    assert not results["c1"].is_error, results["c1"].text  # read-only and test commands still run
    notices = [e.text for e in events if isinstance(e, Notice) and "no sandbox is available" in e.text]
    assert len(notices) == 1
    policy = Policy(mode="auto", sandbox="workspace-write")
    assert policy.decide("run", Approval("command", "rm -r build"))[0] == "ask"  # the TUI asks a person


DENY_FORMS = [" git push", "cd . && git push", "VAR=1 git push", "git -C . push origin", "git -c a=b push",
              "bash -c 'git push'", "sh -c \"cd x && git push\"", "env -i git push", "nohup git push", "(git push)",
              "echo $(git push)", "/usr/bin/git push", "timeout 5 git push", "true; git push"]


@pytest.mark.parametrize("command", DENY_FORMS)
def test_deny_rules_see_through_wrappers(command: str) -> None:
    policy = Policy(mode="auto", deny=["run:git push*"])
    assert policy.decide("run", Approval("command", command)) == ("deny", "denied by a deny rule in the config")


def test_allow_rules_must_cover_every_program() -> None:
    policy = Policy(mode="ask", allow=["run:pytest*", "run:git diff*"])
    assert policy.decide("run", Approval("command", "cd src && pytest -q && git diff"))[0] == "allow"
    assert policy.decide("run", Approval("command", "pytest -q; curl http://x"))[0] == "ask"


def test_parsing_unwraps_commands() -> None:
    assert [s.text() for s in parse("  VAR=1 env -u X nohup git -c a.b=c -C sub reset --hard")] == ["git reset --hard"]
    assert [s.text() for s in parse("bash -lc 'rm -rf x' | tee log")] == ["bash -lc rm -rf x", "rm -rf x", "tee log"]
    assert parse("echo hi > ../out.txt 2>&1")[0].writes == ["../out.txt"]
    assert [s.text() for s in parse("rm -rf $(dirname $PWD)/sib")] == ["dirname $PWD", "rm -rf __SUBST__/sib"]
    assert read_only_command("git status && python -m pytest -q tests/ 2>/dev/null | tail -5")
    assert not read_only_command("git status > out.txt") and not read_only_command("find . -delete")


def test_pith_tool_honours_config_deny_and_sandbox(repo: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli.run import run_tool

    (repo / ".pith.toml").write_text('deny = ["run:git push*"]\n')
    monkeypatch.chdir(repo)
    assert run_tool("run", '{"command": "cd . && git -C . push"}', force=True) == 2
    assert "deny rule" in capsys.readouterr().err
    assert run_tool("run", '{"command": "touch ../sib/x 2>&1 || echo denied"}') == 0
    assert "denied" in capsys.readouterr().out and not (repo.parent / "sib" / "x").exists()
    assert run_tool("run", '{"command": "echo x > ../sib/y"}', force=True, sandbox="off") == 0
    assert (repo.parent / "sib" / "y").exists()


def test_settings_modes_and_old_values() -> None:
    assert Settings().sandbox == "workspace-write"
    assert Settings.from_snapshot({"sandbox": False}).sandbox == "workspace-write"  # an old log's default
    assert Settings.from_snapshot({"sandbox": "read-only"}).sandbox == "read-only"
    settings = Settings()
    settings.apply({"sandbox": False}, explicit=set())
    assert settings.sandbox == "off"
    settings.apply({"sandbox": True}, explicit=set())
    assert settings.sandbox == "workspace-write"
    with pytest.raises(sandbox.SandboxError, match="workspace-write, read-only, off"):
        sandbox.normalize_mode("strict")


def test_bad_sandbox_flag_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agent.cli.app import app, register_all

    register_all()
    for args in (["tool", "run", '{"command": "true"}', "--sandbox", "strict"], ["tui", "--sandbox", "strict"],
                 ["run", "--sandbox", "strict", "-m", "scripted:/nonexistent", "task"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "sandbox must be one of" in result.output, args


def test_seatbelt_profile_shape(repo: Path) -> None:
    from tools.sandbox.seatbelt import profile, seatbelt_prefix

    text = profile("workspace-write")
    assert text.startswith("(version 1)\n(deny default)") and text.count("(") == text.count(")")
    assert '(require-not (subpath (param "GIT")))' in text and "network" not in text
    assert "ROOT" not in profile("read-only")
    argv = seatbelt_prefix("workspace-write", repo, "/tmp")
    assert argv[0] == "/usr/bin/sandbox-exec" and f"GIT={repo.resolve() / '.git'}" in argv
    wrapped = sandbox.wrap(["bash", "-c", "true"], "workspace-write", repo, "/tmp", Support("seatbelt"))
    assert wrapped[0] == "/usr/bin/sandbox-exec" and "--unconfined-ok" in wrapped and wrapped[-3:] == ["bash", "-c", "true"]


@pytest.mark.parametrize("mode", ["workspace-write", "off"])
def test_killing_pith_kills_the_command_and_its_orphans(repo: Path, mode: str) -> None:
    marker = f"{os.getpid() % 1000}.{time.time_ns() % 10**6}"
    script = ("import asyncio, sys; from pathlib import Path; from tools.base import ToolContext; "
              "from tools.shell import RunTool; t = RunTool(); "
              f"asyncio.run(t.run(t.parse({{'command': 'setsid sleep 7{marker} & nohup sleep 8{marker} & sleep 9{marker}'}}), "
              f"ToolContext(root=Path(sys.argv[1]), extra={{'sandbox': '{mode}'}})))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", script, str(repo)], env=env)
    from tests.security.test_safety import _running

    def sleeps() -> list[str]:
        return [c for c in _running(marker) if c.startswith("sleep ")]

    deadline = time.monotonic() + 20
    while len(sleeps()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(sleeps()) == 3
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while sleeps() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sleeps()
