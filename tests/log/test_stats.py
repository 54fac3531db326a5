"""`pith stats`: totals across session logs, from the logs alone."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from agent.log.stats import collect, parse_since

GOLDEN = Path(__file__).parents[1] / "golden" / "long_session.jsonl"


def reply(step: int, **usage: Any) -> dict[str, Any]:
    """An assistant_message record."""
    return {"type": "assistant_message", "ts": 1.0, "step": step, "content": "", **usage}


def write_log(folder: Path, sid: str, created: str, records: list[dict[str, Any]], tail: str = "") -> Path:
    """A session log with a header, the records and an optional raw (cut-off) tail."""
    path = folder / f"{sid}.jsonl"
    header = {"pith_log": 1, "session_id": sid, "created": created, "model": "openai/gpt-4o"}
    path.write_text("\n".join(json.dumps(r) for r in [header, *records]) + "\n" + tail, encoding="utf-8")
    return path


def sessions(folder: Path) -> Path:
    """Three logs (solved, failed, cut off), the golden one, and a file that is not a pith log."""
    write_log(folder, "a-solved", "2026-11-20T10:00:00+0000", [
        reply(1, input_tokens=1000, cached_tokens=600, output_tokens=50, cost=0.01, context_tokens=1100),
        {"type": "context_compacted", "summary": "s", "upto_index": 3, "tokens_before": 9, "tokens_after": 2},
        reply(2, input_tokens=2000, cache_read_tokens=1500, cache_write_tokens=300, output_tokens=70, cost=0.02,
              context_tokens=2100),
        {"type": "session_finished", "status": "finished", "peak_context_tokens": 2500}])
    write_log(folder, "b-failed", "2026-11-25T09:00:00+0000", [
        reply(1, input_tokens=500, output_tokens=10, cost=None, context_tokens=600),
        {"type": "session_finished", "status": "limit_reached"}])
    write_log(folder, "c-cut", "2026-12-01T08:00:00+0000", [reply(1, input_tokens=300, output_tokens=5, cost=0.001)],
              tail='{"type": "assistant_message", "st')
    (folder / "notes.jsonl").write_text('{"hello": 1}\n')
    shutil.copy(GOLDEN, folder / "golden.jsonl")
    return folder


def test_collect_counts_every_session(tmp_path: Path) -> None:
    stats = collect(sessions(tmp_path))
    rows = {s.id: s for s in stats.sessions}
    assert set(rows) == {"a-solved", "b-failed", "c-cut", "golden-long-session"}
    a = rows["a-solved"]
    assert (a.requests, a.input_tokens, a.cached_tokens, a.cache_write_tokens, a.output_tokens) == (2, 3000, 2100, 300, 120)
    assert abs(a.cost - 0.03) < 1e-9 and a.peak_context == 2500 and a.compactions == 1
    assert rows["b-failed"].cost is None and rows["c-cut"].status == "running or cut off"
    golden = rows["golden-long-session"]
    assert golden.requests == 100 and golden.compactions == 5 and golden.status == "finished"
    t = stats.totals()
    assert (t["sessions"], t["solved"], t["failed"], t["unfinished"]) == (4, 2, 1, 1)
    assert t["requests"] == 104 and t["compactions"] == 6 and t["cost"] is None
    assert t["input_tokens"] == 3800 + golden.input_tokens and t["peak_context"] == max(2500, golden.peak_context)


def test_since_filters_by_creation(tmp_path: Path) -> None:
    stats = collect(sessions(tmp_path), parse_since("2026-11-24"))
    assert [s.id for s in stats.sessions] == ["b-failed", "golden-long-session", "c-cut"]
    assert collect(tmp_path, parse_since("2026-12-01T08:30")).totals()["sessions"] == 0


def test_stats_cli(tmp_path: Path) -> None:
    from agent.cli.app import app, register_all

    register_all()
    folder = sessions(tmp_path)
    runner = CliRunner()
    out = runner.invoke(app, ["stats", "--session-dir", str(folder), "--json", "--since", "2026-11-24"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["totals"]["sessions"] == 3 and data["totals"]["failed"] == 1
    text = runner.invoke(app, ["stats", "--session-dir", str(folder)]).output
    assert "4 sessions: 2 solved, 1 failed, 1 unfinished" in text and "a-solved" in text and "$0.0300" in text
    bad = runner.invoke(app, ["stats", "--session-dir", str(folder), "--since", "last tuesday"])
    assert bad.exit_code == 2 and "--since must be a date" in bad.output and "Traceback" not in bad.output
    empty = runner.invoke(app, ["stats", "--session-dir", str(tmp_path / "none")])
    assert empty.exit_code == 0 and "no sessions" in empty.output
