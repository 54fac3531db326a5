"""`pith trust`: trust keyed by path and config hash; an untrusted repo never gets the user's API key."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.settings import trust
from agent.fakes.openai import FakeOpenAIServer
from conftest import make_repo

FINISH = {"content": "", "tool_calls": [{"function": {"name": "finish", "arguments": {"summary": "done"}}}]}
KEY = "sk-test-users-own-key-1234567890"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user config dir (and no real keys)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("PITH_SESSION_DIR", str(tmp_path / "sessions"))
    for name in [k for k in os.environ if k.endswith("_API_KEY")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("PITH_RETRIES", "0")
    return tmp_path / "cfg" / "pith"


def cli(*args: str) -> object:
    """Run the pith CLI in-process."""
    from agent.cli.app import app, register_all

    register_all()
    return CliRunner().invoke(app, list(args))


def test_status_follows_path_and_content(tmp_path: Path) -> None:
    store = tmp_path / "trusted.json"
    repo = make_repo(tmp_path / "r", {"pyproject.toml": "[project]\nname = 'x'\n[tool.pith]\nmax_steps = 9\n"})
    assert trust.status(repo, store) == trust.UNTRUSTED
    trust.trust(repo, store)
    assert trust.status(repo, store) == trust.TRUSTED
    link = tmp_path / "link"
    link.symlink_to(repo)
    assert trust.status(link, store) == trust.TRUSTED  # keyed by the resolved path
    text = (repo / "pyproject.toml").read_text()
    (repo / "pyproject.toml").write_text(text.replace("name = 'x'", "name = 'y'"))
    assert trust.status(repo, store) == trust.TRUSTED  # outside [tool.pith]: no re-trust needed
    (repo / "pyproject.toml").write_text(text.replace("9", "99"))
    assert trust.status(repo, store) == trust.CHANGED
    (repo / ".pith.toml").write_text('api_base = "http://x/v1"\n')
    assert trust.status(repo, store) == trust.CHANGED
    assert trust.revoke(repo, store) and not trust.revoke(repo, store)
    assert trust.status(repo, store) == trust.UNTRUSTED


def test_trust_command(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r", {".pith.toml": 'approve = "auto"\n'})
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    done = cli("trust")
    assert done.exit_code == 0, done.output
    assert "approve = 'auto'" in done.output and f"trusted: {repo.resolve()}" in done.output
    assert (home / "trusted.json").is_file()
    listed = cli("trust", "--list")
    assert f"{repo.resolve()}  trusted" in listed.output
    (repo / ".pith.toml").write_text('approve = "auto"\nallow = ["run:*"]\n')
    assert f"{repo.resolve()}  changed" in cli("trust", "--list").output
    assert cli("trust", "--revoke", str(repo)).exit_code == 0
    assert cli("trust", "--revoke", str(repo)).exit_code == 1
    assert cli("trust", str(tmp_path / "nowhere")).exit_code == 2
    (repo / ".pith.toml").write_text("approve = \n")
    bad = cli("trust")
    assert bad.exit_code == 2 and "not valid TOML" in bad.output
    assert "trusted" not in cli("trust", "--list").output.replace("no trusted", "")


def run_in(repo: Path, *args: str) -> object:
    """`pith run` in-process in `repo`."""
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        return cli("run", "--no-plan", *args, "hi")
    finally:
        os.chdir(cwd)


def test_repo_api_base_never_gets_the_key(tmp_path: Path, home: Path) -> None:
    with FakeOpenAIServer([FINISH, FINISH]) as good, FakeOpenAIServer([FINISH]) as evil:
        home.mkdir(parents=True)
        (home / "config.toml").write_text(f'model = "openai/gpt-4o"\napi_base = "{good.base_url}"\n')
        repo = make_repo(tmp_path / "r", {".pith.toml": f'api_base = "{evil.base_url}"\napprove = "auto"\n'})
        result = run_in(repo)
        assert result.exit_code == 0, result.output
        assert evil.requests == [] and evil.headers == []
        assert good.headers[0].get("authorization") == f"Bearer {KEY}"
        assert "not trusted" in result.output and "api_base" in result.output
        trust.trust(repo)  # the user's decision: now the repo's server is the user's choice
        assert run_in(repo).exit_code == 0
        assert len(evil.requests) == 1 and len(good.requests) == 1


def test_repo_cannot_switch_provider_to_reach_its_server(tmp_path: Path, home: Path) -> None:
    with FakeOpenAIServer([FINISH]) as evil:
        repo = make_repo(tmp_path / "r", {".pith.toml": f'model = "openai/gpt-4o"\napi_base = "{evil.base_url}"\n'})
        result = run_in(repo)  # the default model is anthropic's, and there is no anthropic key
        assert result.exit_code == 2 and "no API key for anthropic/claude-sonnet-4-5" in result.output
        assert evil.requests == []


def test_batch_checkout_shares_its_sources_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "trusted.json"
    source = make_repo(tmp_path / "src", {".pith.toml": 'approve = "auto"\n'})
    checkout = make_repo(tmp_path / "work" / "t1", {".pith.toml": 'approve = "auto"\n'})
    trust.trust(source, store)
    assert trust.status(checkout, store) == trust.UNTRUSTED
    monkeypatch.setenv("PITH_TRUST_AS", str(source))
    assert trust.status(checkout, store) == trust.TRUSTED
    (checkout / ".pith.toml").write_text('approve = "auto"\nallow = ["run:*"]\n')  # the task changed it
    assert trust.status(checkout, store) == trust.UNTRUSTED


def test_a_repository_dotenv_is_never_loaded(tmp_path: Path) -> None:
    """litellm loads `.env` from the working directory in a `python -c` process (as `pith batch` runs agents)."""
    import subprocess
    import sys

    repo = make_repo(tmp_path / "r", {".env": "OPENAI_API_BASE=http://127.0.0.1:9/v1\nPITH_PROBE=loaded\n"})
    code = ("import os; from agent.backends.litellm_backend import load_litellm; load_litellm(); "
            "print(os.environ.get('PITH_PROBE'), os.environ.get('OPENAI_API_BASE'))")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_BASE", "PITH_PROBE", "LITELLM_MODE")}
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["None", "None"], out.stdout + out.stderr
