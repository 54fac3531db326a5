"""Secrets are masked in every output (log, --json, text, export, replay, TUI) but never in what the model sees."""
from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from agent.core.events import ToolCallFinished
from agent.frontends.export.transcript import export_markdown
from agent.frontends.headless import run_headless
from agent.log.writer import read_log
from agent.log.redact import MASK, Redactor, StreamRedactor
from agent.frontends.replay import render_events
from tests.conftest import make_repo
from tests.core.test_session import session_for, turn

GH = "ghp_" + "Ab1" * 12
AWS_ID, AWS_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
ENV_VALUE = "envsecret-value-123456"
CONFIG = (f"AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nGITHUB={GH}\n"
          f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
          f"STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\nDB=postgres://app:pa55word-x@db:5432/app\n"
          f"SESSION={JWT}\nslack = xoxb-123456789012-abcdefghijkl\nMY_TOKEN={ENV_VALUE}\n")
SECRETS = [GH, AWS_SECRET, PEM_BODY, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "pa55word-x", JWT,
           "xoxb-123456789012-abcdefghijkl", ENV_VALUE]


@pytest.mark.parametrize("text,secret", [
    (f"id {AWS_ID} key {AWS_SECRET}", AWS_SECRET),
    (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----", PEM_BODY),
    (f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}", PEM_BODY),  # cut off before its END line
    ("rk_live_51Habcdefghijklmnop and pk_live_51Habcdefghijklmnop", "51Habcdefghijklmnop"),
    ("token xoxp-1234567890-abcdefghij", "xoxp-1234567890-abcdefghij"),
    (f"Authorization: Bearer {JWT}", JWT),
    ("https://user:hunter2pass@example.com/x", "hunter2pass"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789"),
    ("export STRIPE_KEY=abc123def456", "abc123def456"),
    ('{"db_password": "correct-horse"}', "correct-horse"),
    ("client_secret = 'shh-its-a-secret'", "shh-its-a-secret"),
    ("MY_CREDENTIALS=opensesame99", "opensesame99"),
    ("password: hunter2hunter2", "hunter2hunter2"),
])
def test_secret_shapes_are_masked(text: str, secret: str) -> None:
    out = Redactor().redact(text)
    assert secret not in out and MASK in out


@pytest.mark.parametrize("text", [
    '{"input_tokens": 1234, "max_tokens": 4096}', "MAX_TOKENS=4096", "api_key = os.environ['OPENAI_API_KEY']",
    "token = get_token(request)", "key = settings.api_key", 'bindings = {"key": "ctrl+c"}',
    "def check_password(pw: str) -> bool:", "sort_key = 'name'", "http://example.com:8080/path",
])
def test_ordinary_code_is_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_env_values_of_secret_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_KEY", "live-value-0000")
    monkeypatch.setenv("MY_PASSWD", "p4ss-value-0000")
    monkeypatch.setenv("PASSWORD_STORE_DIR", "/home/u/.password-store")
    out = Redactor.from_env().redact("a live-value-0000 b p4ss-value-0000 c /home/u/.password-store")
    assert out == f"a {MASK} b {MASK} c /home/u/.password-store"


def test_stream_redactor_catches_a_secret_split_across_deltas() -> None:
    stream = StreamRedactor(Redactor())
    shown = "".join(stream.feed(part) for part in ["the key is gh", "p_", GH[4:20], GH[20:] + " ok\nnext"])
    shown += stream.flush()
    assert GH not in shown and shown == f"the key is {MASK} ok\nnext"


@pytest.fixture
def leaky_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A session that writes a config full of secrets and reads it back."""
    monkeypatch.setenv("MY_TOKEN", ENV_VALUE)
    repo = make_repo(tmp_path / "repo", {"README.md": "hi\n"})
    turns = [turn(("write_file", {"path": "config.env", "content": CONFIG})),
             turn(("read_lines", {"path": "config.env"})),
             turn(("finish", {"summary": f"wrote the config with {GH}"}))]
    session = session_for(repo, turns, tmp_path / "sessions")
    return session


def drive(session, json_mode: bool) -> str:  # type: ignore[no-untyped-def]
    """Run headless, returning stdout."""
    out = io.StringIO()
    asyncio.run(run_headless(session, "write the config", json_mode=json_mode, out=out))
    return out.getvalue()


def assert_clean(text: str) -> None:
    """None of the secrets are in the text; masks are."""
    leaked = [s for s in SECRETS if s in text]
    assert not leaked and MASK in text


def test_json_stdout_log_export_and_replay_are_redacted(leaky_session) -> None:  # type: ignore[no-untyped-def]
    stdout = drive(leaky_session, json_mode=True)
    assert_clean(stdout)
    assert all(json.loads(line) for line in stdout.splitlines())  # masks keep every line valid JSON
    log_path = leaky_session.log.path
    assert_clean(log_path.read_text())
    loaded = read_log(log_path)
    assert_clean(export_markdown(loaded))
    for json_mode in (True, False):
        out = io.StringIO()
        render_events(loaded, out, json_mode)
        assert_clean(out.getvalue())
    # the model itself saw the file exactly as written: redaction is for people and disks only
    seen = [m["content"] for m in leaky_session.model.requests[-1] if m.get("role") == "tool"]
    assert GH in seen[1] and PEM_BODY in seen[1]
    logged = json.loads(log_path.read_text().splitlines()[-1])  # and masks keep JSON inside strings valid
    calls = [e for e in loaded.events if getattr(e, "tool_calls", None)]
    assert all(json.loads(c["function"]["arguments"]) for e in calls for c in e.tool_calls) and logged


def test_text_stdout_is_redacted(leaky_session) -> None:  # type: ignore[no-untyped-def]
    assert_clean(drive(leaky_session, json_mode=False))


def test_resume_sees_the_logged_text(leaky_session) -> None:  # type: ignore[no-untyped-def]

    drive(leaky_session, json_mode=True)
    loaded = read_log(leaky_session.log.path)
    results = [e.text for e in loaded.events if isinstance(e, ToolCallFinished)]
    resumed = session_for(Path(leaky_session.root), [])
    resumed.state.fold(loaded.events)
    tool_texts = [m["content"] for m in resumed.history if m.get("role") == "tool"]
    assert tool_texts == results  # byte-equal to the log; secrets stay masked there
    assert_clean("\n".join(tool_texts))


async def test_tui_shows_masks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.frontends.tui.app import PithApp
    from tests.frontends.tui.test_tui import SIZE, blocks, make_launch, run_demo_turn

    repo = make_repo(tmp_path / "repo", {"README.md": "hi\n"})
    turns = [turn(("run", {"command": f"echo {GH}"})), {"role": "assistant", "content": f"done: {GH}"}]
    app = PithApp(make_launch(repo, tmp_path / "s", turns, plan=False), task="go", frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await run_demo_turn(pilot, app)
        shown = "\n".join(str(getattr(b, "output", b).render()) for b in blocks(app))
        assert GH not in shown and MASK in shown
        assert any(GH in str(m.get("content")) for m in app.session.history)  # the model's view is unchanged


@pytest.mark.parametrize("text", [
    "QUJD" * 50_000 + " key",  # one 200 KB base64 word: unbounded name patterns were quadratic here
    "a" * 100_000 + "token" + "b" * 100_000 + "=x",
    "https://" + "a" * 200_000,
    "-----BEGIN PRIVATE KEY-----" + "x" * 200_000,
])
def test_redaction_is_linear_on_huge_outputs(text: str) -> None:
    import time

    start = time.monotonic()
    Redactor().redact(text)
    assert time.monotonic() - start < 3.0
