"""`pith export`: Markdown (golden) and self-contained HTML transcripts, secrets redacted."""
from __future__ import annotations

import json
import re
from pathlib import Path

from agent.frontends.export.transcript import export_html, export_markdown
from agent.log.writer import read_log
from agent.log.redact import Redactor
from conftest import pith_in_process, run_pith
from tests.frontends.test_replay import GOLDEN, golden_check

SECRET = "sk-ant-" + "abcdefghijklmnopqrstuvwxyz0123456789"


def hostile_log(tmp_path: Path) -> Path:
    """A small log whose texts carry HTML, backtick fences and a key-shaped secret."""
    header = {"pith_log": 1, "session_id": "s-hostile", "created": "2026-01-01T00:00:00+0000", "model": "m",
              "root": "/r", "git_head": None, "task": "<b>bold</b> task", "settings": {}}
    call = {"id": "h1", "type": "function", "function": {"name": "run", "arguments": "{}"}}
    events = [
        {"type": "user_message", "ts": 1, "text": "<b>bold</b> task"},
        {"type": "assistant_message", "ts": 2, "step": 1, "content": "I'll run <script>alert(1)</script>",
         "tool_calls": [call], "cost": None},
        {"type": "tool_call_started", "ts": 3, "call_id": "h1", "name": "run", "arguments": {}, "label": "run <x>"},
        {"type": "tool_call_finished", "ts": 4, "call_id": "h1", "name": "run", "is_error": True,
         "text": f"error: token {SECRET}\n```\nfenced & <tag>\n```"},
        {"type": "approval_resolved", "ts": 5, "request_id": "p", "decision": "deny", "reason": "rm -rf <root>"},
        {"type": "session_finished", "ts": 6, "status": "not_completed", "summary": "gave up"},
    ]
    log = tmp_path / "hostile.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in [header, *events]) + "\n")
    return log


def test_markdown_matches_golden() -> None:
    text = export_markdown(read_log(GOLDEN / "demo_session.jsonl"), Redactor())
    golden_check("demo_session.md", text)
    assert text.count("<details>") == 8 and text.count("</details>") == 8
    assert "```diff\n--- a/shop/cart.py" in text
    assert "- **cost**: $0.0175" in text and "- **tokens**: in 15000 (cached 1000) out 250" in text


def test_markdown_cli_to_file(tmp_path: Path, session_dir: Path) -> None:
    out = tmp_path / "t.md"
    proc = run_pith(["export", str(GOLDEN / "demo_session.jsonl"), "--format", "md", "-o", str(out)], tmp_path,
                    session_dir)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == (GOLDEN / "demo_session.md").read_text()
    bad = run_pith(["export", str(GOLDEN / "demo_session.jsonl"), "--format", "pdf"], tmp_path, session_dir)
    assert bad.returncode == 2 and "md or html" in bad.stderr


def test_html_is_self_contained_and_escaped(tmp_path: Path, session_dir: Path) -> None:
    proc = pith_in_process(["export", str(hostile_log(tmp_path)), "--format", "html"], tmp_path, session_dir)
    assert proc.returncode == 0, proc.stderr
    page = proc.stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; task" in page and "fenced &amp; &lt;tag&gt;" in page
    assert not re.search(r"(src|href)=", page)  # nothing loaded from elsewhere
    assert '<details class="error"><summary>run &lt;x&gt; (error)</summary>' in page
    assert SECRET not in page and "[REDACTED]" in page
    assert "denied: rm -rf &lt;root&gt;" in page


def test_golden_html_has_diff_and_totals() -> None:
    page = export_html(read_log(GOLDEN / "demo_session.jsonl"), Redactor())
    assert '<span class="del">-        return round_cents(subtotal - percent)</span>' in page
    assert "<li><b>cost</b>: $0.0175</li>" in page and page.count("<details") == 8


def test_markdown_fences_and_secrets(tmp_path: Path) -> None:
    text = export_markdown(read_log(hostile_log(tmp_path)), Redactor())
    assert SECRET not in text and "token [REDACTED]" in text
    assert "````\nerror: token [REDACTED]\n```\nfenced & <tag>\n```\n````" in text
    assert "<summary>run &lt;x&gt; (error) · 4 lines</summary>" in text
    assert "- **status**: not_completed" in text and "gave up" in text


def test_env_secret_values_are_redacted(tmp_path: Path, session_dir: Path) -> None:
    log = hostile_log(tmp_path)
    log.write_text(log.read_text().replace("gave up", "gave up with hunter2-password-value"))
    proc = pith_in_process(["export", str(log)], tmp_path, session_dir, MY_SERVICE_PASSWORD="hunter2-password-value")
    assert proc.returncode == 0, proc.stderr
    assert "hunter2-password-value" not in proc.stdout and "gave up with [REDACTED]" in proc.stdout
