"""`agent.log.resume` and `pith resume`: the model's view rebuilt exactly from the log, appended to the same log."""
from __future__ import annotations

import asyncio
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.log.writer import read_log
from agent.core.state import INTERRUPTED
from agent.log.resume import latest_session, load_session
from conftest import jsonl, run_pith
from tests.frontends.test_replay import GOLDEN, call, write_script

FINISH = {"content": "Nothing left to do.", "tool_calls": [call("r1", "finish", summary="all done")]}


def record_demo(repo: Path, session_dir: Path) -> tuple[Any, Path]:
    """Run the bundled demo script in-process; (the live session, its log)."""
    from agent.demo import TASK
    from agent.frontends.headless import run_headless
    from agent.compose import build_session
    from agent.settings.load import find_root

    model = ScriptedModel.from_file(Path(__file__).parents[2] / "agent" / "demo" / "demo_script.jsonl")
    root, head = find_root(repo)
    session = build_session(Settings(model="scripted:demo", approve="auto"), root, head, session_dir, TASK, model=model)
    result = asyncio.run(run_headless(session, TASK, out=io.StringIO()))
    assert result.status == "finished"
    return session, Path(result.log_path)


def test_history_rebuilt_exactly(demo_repo: Path, session_dir: Path) -> None:
    live, log = record_demo(demo_repo, session_dir)
    before = log.read_bytes()
    again = load_session(log, model=ScriptedModel([]), append=False)
    assert again.history == live.history
    assert again.pad.to_dict() == live.pad.to_dict()
    assert again.context.view(again.history, again.pad) == live.context.view(live.history, live.pad)
    assert again.totals == live.totals
    for name in ("summary", "verified", "last_status"):
        assert getattr(again.state, name) == getattr(live.state, name), name
    assert again.id == live.id and again.root == live.root
    assert log.read_bytes() == before


def test_resume_after_truncated_last_line(demo_repo: Path, session_dir: Path) -> None:
    from agent.frontends.headless import run_headless

    live, log = record_demo(demo_repo, session_dir)
    complete = log.read_bytes()
    log.write_bytes(complete + b'{"type": "assistant_message", "ts": 1, "step": 6, "cont')
    model = ScriptedModel([FINISH])
    session = load_session(log, model=model)
    result = asyncio.run(run_headless(session, "Continue.", out=io.StringIO(), resumed=True))
    assert result.status == "finished"
    data = log.read_bytes()
    assert data.startswith(complete) and data[len(complete):].startswith(b'{"type": "notice"')
    loaded = read_log(log)
    assert loaded.note == ""
    new = loaded.events[len(read_log_events(complete, tmp=log.parent)):]
    kinds = [e.type for e in new]
    assert kinds[:2] == ["notice", "session_started"] and "last complete event" in new[0].text
    assert new[1].resumed and new[1].session_id == live.id
    sent = model.requests[0]
    assert sent[1:1 + len(live.history)] == live.history  # after the system prompt: the old conversation
    assert sent[1 + len(live.history)] == {"role": "user", "content": "Continue."}


def read_log_events(data: bytes, tmp: Path) -> list:
    """Events of a log given as bytes."""
    path = tmp / "copy-of-log.jsonl.tmp"
    path.write_bytes(data)
    return read_log(path).events


def test_open_tool_calls_get_interrupted_results(demo_repo: Path, session_dir: Path) -> None:
    _, log = record_demo(demo_repo, session_dir)
    lines = log.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"call_note"' in line and "assistant_message" in line)
    log.write_text("".join(lines[: cut + 1]))
    session = load_session(log, model=ScriptedModel([]))
    tail = session.history[-2:]
    assert [m["tool_call_id"] for m in tail] == ["call_note", "call_edit"]
    assert all(INTERRUPTED in m["content"] for m in tail)
    session.log.close()
    logged = [e for e in read_log(log).events if e.type == "tool_call_finished"][-2:]
    assert [(e.call_id, e.is_error) for e in logged] == [("call_note", True), ("call_edit", True)]
    again = load_session(log, model=ScriptedModel([]), append=False)
    assert again.history == session.history
    assert not [e for e in read_log(log).events[len(lines) - 1:] if e.type == "tool_call_finished" and
                e.call_id not in ("call_note", "call_edit")]


def test_compaction_is_reapplied(tmp_path: Path) -> None:
    data = (GOLDEN / "demo_session.jsonl").read_text().splitlines()
    header = json.loads(data[0])
    header["root"] = str(tmp_path)
    event = {"type": "context_compacted", "ts": 1.0, "summary": "EARLIER WORK SUMMARY", "upto_index": 3,
             "tokens_before": 900, "tokens_after": 300, "dropped": 3}
    log = tmp_path / "compacted.jsonl"
    log.write_text("\n".join([json.dumps(header)] + data[1:-3] + [json.dumps(event)]) + "\n")
    session = load_session(log, model=ScriptedModel([]), append=False)
    view = session.context.view(session.history, session.pad)
    assert any("EARLIER WORK SUMMARY" in str(m.get("content")) for m in view)
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join([json.dumps(header)] + data[1:-3]) + "\n")
    uncompacted = load_session(plain, model=ScriptedModel([]), append=False)
    assert len(view) < len(uncompacted.context.view(uncompacted.history, uncompacted.pad))


def test_latest_session(tmp_path: Path, session_dir: Path) -> None:
    data = (GOLDEN / "demo_session.jsonl").read_text()
    for sid in ("20260101-100000-aaaaaa", "20260102-100000-bbbbbb"):
        (session_dir / f"{sid}.jsonl").write_text(data.replace("20260101-120000-g01d3n", sid))
    assert latest_session(session_dir, Path("/home/dev/shop-demo")).stem == "20260102-100000-bbbbbb"
    header = json.loads(data.splitlines()[0])
    empty = {**header, "session_id": "20260103-100000-cccccc", "task": ""}  # opened and quit without a message
    (session_dir / "20260103-100000-cccccc.jsonl").write_text(json.dumps(empty) + "\n")
    assert latest_session(session_dir, Path("/home/dev/shop-demo")).stem == "20260102-100000-bbbbbb"
    assert latest_session(session_dir, tmp_path) is None
    assert latest_session(tmp_path / "none", tmp_path) is None


def test_resume_cli_message_from_stdin(demo_repo: Path, session_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(demo_repo, tmp_path / "copy")
    _, log = record_demo(demo_repo, session_dir)
    script = write_script(tmp_path / "more.jsonl", [FINISH])
    proc = run_pith(["resume", log.stem, "-", "--json", "-m", f"scripted:{script}"], demo_repo, session_dir,
                    stdin="Please also check the docs.\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = jsonl(proc.stdout)
    assert out[-1]["type"] == "result" and out[-1]["status"] == "finished"
    assert out[-1]["steps"] == 6  # totals carry on from the recorded session
    users = [e.text for e in read_log(log).events if e.type == "user_message"]
    assert users[-1] == "Please also check the docs."
    empty = run_pith(["resume", log.stem, "-"], tmp_path, session_dir, stdin="  \n")
    assert empty.returncode == 2 and "empty message" in empty.stderr


def test_resume_takes_neither_api_base_nor_policy_from_the_log(demo_repo: Path, session_dir: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A crafted header's api_base gets no request (no key); a failed resume reports no earlier summary."""
    from typer.testing import CliRunner

    from agent.cli.app import app, register_all
    from agent.fakes.openai import FakeOpenAIServer

    _, log = record_demo(demo_repo, session_dir)
    assert read_log(log).events[-1].verified  # the recorded session finished verified
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-users-key-000")
    monkeypatch.setenv("PITH_RETRIES", "0")
    register_all()
    with FakeOpenAIServer([{"status": 400, "error": "bad request"}]) as good, FakeOpenAIServer([FINISH]) as evil:
        lines = log.read_text().splitlines()
        header = json.loads(lines[0])
        header["settings"].update(api_base=evil.base_url, model="openai/gpt-4o", allow=["run:*"])
        log.write_text("\n".join([json.dumps(header)] + lines[1:]) + "\n")
        (tmp_path / "cfg" / "pith").mkdir(parents=True)
        (tmp_path / "cfg" / "pith" / "config.toml").write_text(f'model = "openai/gpt-4o"\napi_base = "{good.base_url}"\n')
        monkeypatch.chdir(tmp_path)
        elsewhere = CliRunner().invoke(app, ["resume", str(log), "go on", "--session-dir", str(session_dir)])
        assert elsewhere.exit_code == 2 and "this session ran in" in elsewhere.output
        monkeypatch.chdir(demo_repo)
        out = CliRunner().invoke(app, ["resume", str(log), "go on", "--json", "--session-dir", str(session_dir)])
    assert evil.requests == [] and good.headers[0]["authorization"] == "Bearer sk-test-users-key-000"
    result = [json.loads(x) for x in out.output.splitlines() if x.startswith("{")][-1]
    assert out.exit_code == 4 and result["status"] == "model_error", out.output
    assert result["summary"] == "" and result["verified"] is False


def test_resume_limits_count_the_new_work_on_top_of_the_restored_totals(tmp_path: Path) -> None:
    from agent.core.state import SessionState

    golden = Path(__file__).parents[1] / "golden" / "demo_session.jsonl"
    restored = SessionState().fold(read_log(golden).events).totals
    assert restored.steps > 0 and restored.cost
    priced = load_session(golden, model=ScriptedModel([]), append=False, root=tmp_path, new_work=(3, 0.5))
    assert priced.settings.max_steps == restored.steps + 3
    assert abs(priced.settings.max_cost - (restored.cost + 0.5)) < 1e-9
    unlimited = load_session(golden, model=ScriptedModel([]), append=False, root=tmp_path, new_work=(4, None))
    assert unlimited.settings.max_steps == restored.steps + 4 and unlimited.settings.max_cost is None
    plain = load_session(golden, model=ScriptedModel([]), append=False, root=tmp_path)
    assert plain.settings.max_steps != restored.steps + 3  # without new_work the settings' own limits stand
