"""What the redesign kept as it was: the order read-only session tools run in, the peak size of a request that got
no answer, the limit in the result, and session tools refused outside a session."""
from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli.run import run_tool
from agent.core.state import SessionState
from agent.log.writer import read_log
from tests.context.test_context import repo, script, step
from tests.core.test_state_fold import live_run


def test_plan_and_note_run_alongside_reads_with_numbers_in_call_order(tmp_path: Path, session_dir: Path) -> None:
    turns = script([("plan", {"steps": [{"step": "look"}]}), ("grep", {"pattern": "hi"}),
                    ("note", {"text": "one"}), ("note", {"text": "two"})])
    session, result = live_run(repo(tmp_path), turns, session_dir)
    kinds = [(e.type, getattr(e, "name", "")) for e in read_log(Path(result.log_path)).events
             if e.type in ("tool_call_started", "tool_call_finished", "plan_updated")]
    starts = [k for k in kinds if k[0] == "tool_call_started"]
    # one concurrent batch: every call starts before the first result, results follow in call order
    assert kinds[:4] == starts[:4] == [("tool_call_started", n) for n in ("plan", "grep", "note", "note")]
    assert kinds[4:7] == [("tool_call_finished", "plan"), ("plan_updated", ""), ("tool_call_finished", "grep")]
    assert [f.id for f in session.state.pad.facts] == [1, 2]
    texts = [m["content"] for m in session.history if m["role"] == "tool"]
    assert "noted #1" in texts and "noted #2" in texts


def test_a_request_without_an_answer_still_counts_for_the_peak(tmp_path: Path, session_dir: Path) -> None:
    turns = [step(("grep", {"pattern": "hi"}))]  # then the script runs out: the second request fails
    _, result = live_run(repo(tmp_path), turns, session_dir)
    events = read_log(Path(result.log_path)).events
    sizes = [e.context_tokens for e in events if e.type == "turn_started"]
    assert len(sizes) == 2 and sizes[1] > sizes[0] > 0
    assert result.status == "model_error" and result.peak_context_tokens == sizes[1]
    assert SessionState().fold(events).context.peak_tokens == sizes[1]


def test_the_limit_that_stopped_a_turn_is_folded_into_the_result(tmp_path: Path, session_dir: Path) -> None:
    turns = [step(("grep", {"pattern": "hi"}), n=n) for n in range(5)]
    _, result = live_run(repo(tmp_path), turns, session_dir, max_steps=2)
    assert result.status == "limit_reached" and "max steps (2)" in (result.limit or "")
    state = SessionState().fold([e for e in read_log(Path(result.log_path)).events if e.type != "session_finished"])
    assert state.limit == result.limit


@pytest.mark.parametrize("name", ["finish", "compact"])
def test_session_tools_are_refused_outside_a_session(name: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo(tmp_path))
    assert run_tool(name, '{"summary": "done", "verify": "false"}') == 2
    err = capsys.readouterr().err
    assert f"`{name}` acts on a running session" in err and "Traceback" not in err


def test_plan_and_note_still_run_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo(tmp_path))
    assert run_tool("note", '{"text": "a fact"}') == 0
    assert capsys.readouterr().out.strip() == "noted #1"
