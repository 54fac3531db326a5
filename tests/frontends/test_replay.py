"""`pith replay`: text (golden), JSONL, TUI fallback, refused formats, and `pith sessions`."""
from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import jsonl, make_repo, run_pith

GOLDEN = Path(__file__).parents[1] / "golden"
UPDATE = os.environ.get("PITH_UPDATE_GOLDEN") == "1"


def golden_check(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME (PITH_UPDATE_GOLDEN=1 rewrites it)."""
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def write_script(path: Path, turns: list[dict]) -> Path:
    """A scripted-model file: one assistant message per line."""
    path.write_text("".join(json.dumps(t) + "\n" for t in turns))
    return path


def call(cid: str, name: str, **args: object) -> dict:
    """One OpenAI-format tool call."""
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def test_replay_text_matches_golden(tmp_path: Path, session_dir: Path) -> None:
    proc = run_pith(["replay", str(GOLDEN / "demo_session.jsonl")], tmp_path, session_dir)
    assert proc.returncode == 0, proc.stderr
    golden_check("demo_session.txt", proc.stdout)


def test_replay_json_is_the_events(tmp_path: Path, session_dir: Path) -> None:
    proc = run_pith(["replay", "--json", str(GOLDEN / "demo_session.jsonl")], tmp_path, session_dir)
    assert proc.returncode == 0, proc.stderr
    recorded = [json.loads(line) for line in (GOLDEN / "demo_session.jsonl").read_text().splitlines()[1:]]
    replayed = jsonl(proc.stdout)
    assert len(replayed) == len(recorded)
    # An older log replays unchanged; fields added since then appear with their defaults only, and results get
    # the outcome their tool's name implied then (a finish that worked finished, a `run` ran a command).
    for got, want in zip(replayed, recorded):
        ran = want.get("name") == "run" and "exit_code" in want.get("data", {})
        migrated = "command" if ran else "finished" if want.get("name") == "finish" else None
        added = {"cache_read_tokens": 0, "cache_write_tokens": 0, "outcome": migrated}
        assert {k: v for k, v in got.items() if k in want} == want
        assert {k: v for k, v in got.items() if k not in want} == {k: added[k] for k in got if k not in want}
    assert any(e.get("outcome") == "finished" for e in replayed)


def test_replay_equals_live_headless_output(tmp_path: Path, session_dir: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "alpha\nbeta\n"})
    script = write_script(tmp_path / "script.jsonl", [
        {"content": "Look at the notes.", "tool_calls": [call("c1", "read_lines", path="notes.txt")]},
        {"content": "Done reading.", "tool_calls": [call("c2", "finish", summary="notes have two lines")]},
    ])
    live = run_pith(["run", "--no-plan", "-m", f"scripted:{script}", "read notes"], repo, session_dir)
    assert live.returncode == 0, live.stderr
    (log,) = session_dir.glob("*.jsonl")
    replayed = run_pith(["replay", log.stem[:18]], tmp_path, session_dir)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == live.stdout


@pytest.mark.parametrize("header,message", [
    ('{"pith_log": 99, "session_id": "x"}', "log format 99 is not supported"),
    ('{"hello": "world"}', "log format None is not supported"),
    ("not json at all", "is not a pith session log"),
    ('{"pith_log": 1, "session_id": "x"}\n{"type": "tool_call_finished", "ts": 1}', "missing or malformed fields"),
])
def test_unknown_format_refused(tmp_path: Path, session_dir: Path, header: str, message: str) -> None:
    log = tmp_path / "old.jsonl"
    log.write_text(header + '\n{"type": "user_message", "ts": 1, "text": "hi"}\n')
    for command in (["replay"], ["replay", "--json"], ["export"], ["resume"], ["replay", "--rerun"]):
        proc = run_pith([*command, str(log)], tmp_path, session_dir)
        assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr


def test_missing_session_is_a_usage_error(tmp_path: Path, session_dir: Path) -> None:
    proc = run_pith(["replay", "nosuchsession"], tmp_path, session_dir)
    assert proc.returncode == 2
    assert "no session 'nosuchsession'" in proc.stderr


def test_cut_off_log_replays_with_a_note(tmp_path: Path) -> None:
    from agent.log.writer import read_log
    from agent.frontends.replay import render_events

    data = (GOLDEN / "demo_session.jsonl").read_text()
    log = tmp_path / "cut.jsonl"
    log.write_text(data[: data.rstrip("\n").rfind("\n") + 40])
    loaded = read_log(log)
    assert "incomplete" in loaded.note
    out = io.StringIO()
    render_events(loaded, out)
    assert "All three cart tests pass." in out.getvalue()


def test_sessions_list_show_delete(tmp_path: Path, session_dir: Path) -> None:
    shutil.copy(GOLDEN / "demo_session.jsonl", session_dir / "20260101-120000-g01d3n.jsonl")
    listing = run_pith(["sessions"], tmp_path, session_dir)
    assert listing.returncode == 0, listing.stderr
    assert "20260101-120000-g01d3n" in listing.stdout and "finished" in listing.stdout
    assert "$0.0175" in listing.stdout
    other = run_pith(["sessions", "--repo", str(tmp_path)], tmp_path, session_dir)
    assert "no sessions" in other.stdout or "g01d3n" not in other.stdout
    show = run_pith(["sessions", "show", "20260101-12"], tmp_path, session_dir)
    assert show.returncode == 0, show.stderr
    assert '"git_head": "1111111111111111111111111111111111111111"' in show.stdout
    assert "events: 39" in show.stdout
    delete = run_pith(["sessions", "delete", "--yes", "20260101"], tmp_path, session_dir)
    assert delete.returncode == 0
    assert not list(session_dir.glob("*.jsonl"))
    gone = run_pith(["sessions", "show", "20260101"], tmp_path, session_dir)
    assert gone.returncode == 2 and "no session" in gone.stderr
