"""One settings path: precedence, what an untrusted repository may set, api_base with its provider, the fast key check."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.settings import trust
from agent.settings.config import Settings
from agent.settings.load import SettingsError, missing_key, provider_of, resolve_settings, switched
from conftest import make_repo

RUN_DEFAULTS = {"model": "anthropic/claude-sonnet-4-5", "approve": "auto", "max_steps": 50}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository."""
    return make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})


def resolve(repo: Path, tmp_path: Path, user: str = "", flags: dict | None = None, explicit: set[str] = frozenset(),
            project: str | None = None) -> object:
    """Resolve with a private user config and trust store."""
    if project is not None:
        (repo / ".pith.toml").write_text(project)
    user_file = tmp_path / "user.toml"
    user_file.write_text(user)
    return resolve_settings(repo, {**RUN_DEFAULTS, **(flags or {})}, set(explicit), user_file=user_file,
                            trust_file=tmp_path / "trusted.json")


def test_precedence_flags_project_user_defaults(repo: Path, tmp_path: Path) -> None:
    user = 'max_steps = 7\nkeep_turns = 5\ncommand_timeout = 30\ndeny = ["run:curl*"]\n'
    got = resolve(repo, tmp_path, user, project='keep_turns = 2\ndeny = ["run:wget*"]\n')
    s = got.settings
    assert (s.max_steps, s.keep_turns, s.command_timeout) == (7, 2, 30)  # user beats defaults; project beats user
    assert s.deny == ["run:curl*", "run:wget*"] and s.approve == "auto"
    flagged = resolve(repo, tmp_path, user, flags={"max_steps": 3, "keep_turns": 9}, explicit={"max_steps", "keep_turns"})
    assert (flagged.settings.max_steps, flagged.settings.keep_turns) == (3, 9)
    assert flagged.origins["max_steps"] == "flag" and got.origins["keep_turns"] == "project"
    assert got.notices == []  # nothing loosening in the repo: no trust question


def test_untrusted_repo_may_tighten_but_not_loosen(repo: Path, tmp_path: Path) -> None:
    project = ('api_base = "http://127.0.0.1:9/v1"\nallow = ["run:*"]\npass_env = ["AWS_SECRET"]\n'
               'deny = ["run:git push*"]\napprove = "never"\nsandbox = "read-only"\nmax_cost = 0.5\n'
               'model = "anthropic/claude-haiku-4-5"\n')
    s = resolve(repo, tmp_path, "max_cost = 2.0\n", project=project).settings
    assert s.api_base is None and s.allow == [] and s.pass_env == []
    assert s.deny == ["run:git push*"] and s.approve == "never" and s.sandbox == "read-only" and s.max_cost == 0.5
    assert s.model == "anthropic/claude-haiku-4-5"  # same provider: allowed
    loose = ('approve = "auto"\nsandbox = "off"\nmax_cost = 50\nmodel = "openai/gpt-4o"\napi_base = "http://x/v1"\n')
    got = resolve(repo, tmp_path, 'approve = "ask"\nmax_cost = 2.0\n', project=loose)
    s = got.settings
    assert (s.approve, s.sandbox, s.max_cost, s.model, s.api_base) == (
        "ask", "workspace-write", 2.0, "anthropic/claude-sonnet-4-5", None)
    (notice,) = got.notices
    for part in ("not trusted", "api_base", 'approve = "auto"', 'sandbox = "off"', "openai/gpt-4o", "pith trust"):
        assert part in notice, part


def test_trusted_repo_applies_until_its_config_changes(repo: Path, tmp_path: Path) -> None:
    project = 'api_base = "http://127.0.0.1:9/v1"\nmodel = "openai/local"\napprove = "auto"\nallow = ["run:make*"]\n'
    (repo / ".pith.toml").write_text(project)
    trust.trust(repo, tmp_path / "trusted.json")
    got = resolve(repo, tmp_path, 'approve = "ask"\n')
    s = got.settings
    assert (s.api_base, s.model, s.approve, s.allow) == ("http://127.0.0.1:9/v1", "openai/local", "auto", ["run:make*"])
    assert got.notices == []
    changed = resolve(repo, tmp_path, 'approve = "ask"\n', project=project.replace("make*", "*"))
    assert changed.settings.allow == [] and changed.settings.api_base is None
    assert "changed since you trusted it" in changed.notices[0]


def test_api_base_goes_only_with_its_own_provider(repo: Path, tmp_path: Path) -> None:
    user = 'model = "openai/local"\napi_base = "http://127.0.0.1:8000/v1"\n'
    assert resolve(repo, tmp_path, user).settings.api_base == "http://127.0.0.1:8000/v1"
    other = resolve(repo, tmp_path, user, flags={"model": "anthropic/claude-sonnet-4-5"}, explicit={"model"})
    assert other.settings.api_base is None and other.settings.model == "anthropic/claude-sonnet-4-5"
    assert "not used with anthropic/claude-sonnet-4-5" in other.notices[0]
    same = resolve(repo, tmp_path, user, flags={"model": "openai/other"}, explicit={"model"})
    assert same.settings.api_base == "http://127.0.0.1:8000/v1" and same.notices == []
    both = resolve(repo, tmp_path, user, flags={"model": "anthropic/x", "api_base": "http://h/v1"},
                   explicit={"model", "api_base"})
    assert both.settings.api_base == "http://h/v1"  # the user's own flag: always


def test_bad_values_name_their_source(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"user.toml: approve must be one of ask, auto, never"):
        resolve(repo, tmp_path, 'approve = "sometimes"\n')
    with pytest.raises(SettingsError, match=r"\.pith\.toml: max_steps must be more than 0"):
        resolve(repo, tmp_path, project="max_steps = 0\n")
    (repo / ".pith.toml").unlink()
    with pytest.raises(SettingsError, match=r"approve must be ask, auto or never \(from --approve"):
        resolve(repo, tmp_path, flags={"approve": "yes"}, explicit={"approve"})


def test_missing_key_without_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert missing_key(Settings(model="anthropic/claude-sonnet-4-5")) == (
        "no API key for anthropic/claude-sonnet-4-5: set ANTHROPIC_API_KEY in the environment")
    monkeypatch.setenv("OPENAI_API_KEY", "  ")
    assert "OPENAI_API_KEY" in missing_key(Settings(model="gpt-4o"))  # a blank key is no key
    assert missing_key(Settings(model="openai/local", api_base="http://127.0.0.1:8000/v1")) == ""
    assert missing_key(Settings(model="ollama/llama3")) == "" and missing_key(Settings(model="scripted:x")) == ""
    assert missing_key(Settings(model="someprovider/x")) == ""  # unknown here: litellm decides later
    assert provider_of("claude-3-5-haiku") == "anthropic" and provider_of("weird") is None


def test_model_switch_keeps_api_base_with_its_provider(repo: Path, tmp_path: Path) -> None:
    base = Settings(model="openai/local", api_base="http://127.0.0.1:8000/v1")
    assert switched(base, "openai/other", repo, {}, set()).api_base == "http://127.0.0.1:8000/v1"
    assert switched(base, "anthropic/claude-sonnet-4-5", repo, {}, set()).api_base is None


def test_run_reports_a_missing_key_fast_without_loading_litellm(repo: Path, tmp_path: Path) -> None:
    code = ("import sys, time; t = time.perf_counter(); sys.argv = ['pith', 'run', 'hi']\n"
            "from agent.cli.app import main\ntry:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
            "print(code, 'litellm' in sys.modules, round(time.perf_counter() - t, 3))")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_AUTH_TOKEN"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "cfg"), PITH_SESSION_DIR=str(tmp_path / "s"))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, env=env, timeout=60)
    wall = time.perf_counter() - start
    exit_code, loaded, _ = proc.stdout.split()
    assert exit_code == "2" and loaded == "False", proc.stdout + proc.stderr
    assert "no API key for anthropic/claude-sonnet-4-5: set ANTHROPIC_API_KEY" in proc.stderr
    assert wall < 3.0  # 0.3 s measured; generous for a loaded CI machine (litellm alone takes ~4 s)


def run_writes(repo: Path, paths: list[str]) -> list[str]:
    """write_file calls through the real loop, headless, in auto mode; the tool outputs the model saw."""
    import asyncio
    import io

    from agent.backends.scripted import ScriptedModel
    from agent.frontends.headless import run_headless
    from agent.compose import build_session

    turns = [{"role": "assistant", "content": "", "tool_calls": [{"id": f"c{i}", "type": "function", "function": {
        "name": "write_file", "arguments": json.dumps({"path": p, "content": "x = 1\n"})}}]} for i, p in enumerate(paths)]
    turns.append({"role": "assistant", "content": "", "tool_calls": [
        {"id": "end", "type": "function", "function": {"name": "finish", "arguments": '{"summary": "done"}'}}]})
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False), repo, None, None, "t",
                            model=ScriptedModel(turns))
    asyncio.run(run_headless(session, "t", json_mode=True, out=io.StringIO()))
    return [m["content"] for m in session.history if m["role"] == "tool"][:-1]


def test_headless_auto_denies_writing_pith_config(repo: Path) -> None:
    outputs = run_writes(repo, [".pith.toml", ".pith/commands/x.md", "AGENTS.md", "notes.md"])
    for out in outputs[:3]:
        assert "configures pith" in out and "not allowed" in out, out
    assert not (repo / ".pith.toml").exists() and not (repo / "AGENTS.md").exists()
    assert (repo / "notes.md").read_text() == "x = 1\n" and "configures pith" not in outputs[3]


def test_tui_reads_the_config_files(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli.tui import launch_tui

    monkeypatch.chdir(repo)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    (tmp_path / "cfg" / "pith").mkdir(parents=True)
    (tmp_path / "cfg" / "pith" / "config.toml").write_text('model = "mistral/mistral-large-latest"\n')
    start = time.perf_counter()
    assert launch_tui(Settings(interactive=True, approve="ask"), tmp_path / "s", None, False, None, set()) == 2
    assert time.perf_counter() - start < 2.0
    assert "no API key for mistral/mistral-large-latest: set MISTRAL_API_KEY" in capsys.readouterr().err


def test_tui_session_shows_the_trust_notice_once(repo: Path, tmp_path: Path) -> None:
    from agent.backends.scripted import ScriptedModel
    from agent.frontends.tui.launch import Launch
    from agent.log.writer import read_log

    launch = Launch(settings=Settings(model="scripted:x"), root=repo, session_dir=tmp_path / "logs",
                    model_factory=lambda s: ScriptedModel([]), notices=["this repository's pith config is not trusted"])
    first, second = launch.new_session(), launch.new_session()
    for session in (first, second):
        session.log.close()
    texts = [[e.text for e in read_log(s.log.path).events if e.type == "notice"] for s in (first, second)]
    assert texts == [["this repository's pith config is not trusted"], []]


def test_api_base_notice_names_the_model_of_the_file_that_set_it(repo: Path, tmp_path: Path) -> None:
    project = 'model = "openai/local"\napi_base = "http://127.0.0.1:9/v1"\n'
    (repo / ".pith.toml").write_text(project)
    trust.trust(repo, tmp_path / "trusted.json")
    got = resolve(repo, tmp_path, flags={"model": "scripted:demo.jsonl"}, explicit={"model"})
    assert got.settings.api_base is None
    assert "config is for openai/local, not used with scripted:demo.jsonl" in got.notices[0]
