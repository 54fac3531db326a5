"""Exporting a session as a readable transcript: Markdown or self-contained HTML, secrets redacted."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from agent.core.events import (
    ApprovalResolved, AssistantMessage, ErrorOccurred, Event, FileEdited, Notice, Outcome,
    SessionFinished, ShellRan, ToolCallFinished, ToolCallStarted, UserMessage,
)
from agent.core.state import SessionState
from agent.log.writer import LoadedLog
from agent.log.redact import Redactor


@dataclass
class Block:
    """One piece of the transcript: kind is user | step | tool | diff | notice."""

    kind: str
    title: str = ""
    text: str = ""
    error: bool = False


@dataclass
class Transcript:
    """What an export shows, format-neutral."""

    title: str
    meta: list[tuple[str, str]]
    task: str
    plan: list[str]
    blocks: list[Block] = field(default_factory=list)
    result: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""


def _fmt_cost(cost: float | None) -> str:
    """'$0.0123' or 'unknown'."""
    return "unknown" if cost is None else f"${cost:.4f}"


def _tool_block(started: ToolCallStarted | None, done: ToolCallFinished) -> Block:
    """A tool call with its output."""
    title = (started.label if started and started.label else done.name) + (" (error)" if done.is_error else "")
    text = done.text
    if done.data.get("file_edits") and not done.is_error:  # the diff follows as its own block: keep the summary
        text = text.rstrip("\n").splitlines()[-1] if text.strip() else text
    return Block("tool", title=title, text=text, error=done.is_error)


def _plan_line(step: dict[str, Any]) -> str:
    """A Markdown task-list item: done is checked, in progress and skipped are said in words."""
    status = step.get("status", "pending")
    extra = {"in_progress": " (in progress)", "skipped": " (skipped)"}.get(status, "")
    return f"- [{'x' if status == 'done' else ' '}] {step.get('step', '')}{extra}"


def _event_block(event: Event, started: dict[str, ToolCallStarted]) -> Block | None:
    """The transcript block for one event, if it shows."""
    if isinstance(event, UserMessage):
        return Block("user", text=event.text.strip())
    if isinstance(event, AssistantMessage):
        return Block("step", title=f"Step {event.step}", text=event.content.strip())
    if isinstance(event, ToolCallFinished) and event.outcome != Outcome.FINISHED:
        return _tool_block(started.get(event.call_id), event)
    if isinstance(event, ShellRan):
        return Block("tool", title=f"! {event.command} (run by the user)", text=event.output, error=event.is_error)
    if isinstance(event, FileEdited):
        return Block("diff", title=event.path, text=event.diff)
    if isinstance(event, ApprovalResolved) and event.decision == "deny":
        return Block("notice", text=f"denied: {event.reason}")
    if isinstance(event, Notice):
        return Block("notice", text=event.text)
    if isinstance(event, ErrorOccurred):
        return Block("notice", text=f"error ({event.kind}): {event.message}", error=True)
    return None


def _totals(state: SessionState, final: SessionFinished | None) -> list[tuple[str, str]]:
    """Status, steps, tokens, cost and files for the result section, from the session's folded state."""
    t = state.totals
    return [
        ("status", (final.status + (f" ({final.limit})" if final.limit else "")) if final else "running or cut off"),
        ("steps", str(t.steps)),
        ("tokens", f"in {t.input_tokens} (cached {t.cache_read_tokens}) out {t.output_tokens}"),
        ("cost", _fmt_cost(t.cost if t.steps else None)),
        ("files changed", ", ".join(t.files) or "none"),
        ("verified", "yes" if state.verified else "no"),
    ]


def build_transcript(loaded: LoadedLog) -> Transcript:
    """Collect the format-neutral transcript from a log."""
    h = loaded.header
    started: dict[str, ToolCallStarted] = {}
    blocks: list[Block] = []
    final: SessionFinished | None = None
    for event in loaded.events:
        if isinstance(event, ToolCallStarted):
            started[event.call_id] = event
        elif isinstance(event, SessionFinished):
            final = event
        block = _event_block(event, started)
        if block:
            blocks.append(block)
    meta = [("session", str(h.get("session_id", ""))), ("created", str(h.get("created", ""))),
            ("model", str(h.get("model", ""))), ("repository", str(h.get("root", ""))),
            ("git HEAD", str(h.get("git_head") or "none"))]
    state = SessionState().fold(loaded.events)
    return Transcript(title=f"pith session {h.get('session_id', '')}", meta=meta, task=str(h.get("task") or ""),
                      plan=[_plan_line(s) for s in state.pad.steps], blocks=blocks, result=_totals(state, final),
                      summary=state.summary)


def _fence(text: str, lang: str = "") -> str:
    """A code fence longer than any backtick run inside the text."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip(chr(10))}\n{ticks}"


def _md_block(b: Block) -> str:
    """Markdown for one block."""
    if b.kind == "user":
        return "### User\n\n" + "\n".join("> " + line for line in b.text.splitlines())
    if b.kind == "step":
        return f"### {b.title}\n\n{b.text}" if b.text else f"### {b.title}"
    if b.kind == "tool":
        lines = len(b.text.splitlines())
        summary = html.escape(f"{b.title} · {lines} line{'s' if lines != 1 else ''}")
        return f"<details><summary>{summary}</summary>\n\n{_fence(b.text)}\n\n</details>"
    if b.kind == "diff":
        return f"**Edited `{b.title}`**\n\n{_fence(b.text, 'diff')}"
    return f"> **{'Error' if b.error else 'Notice'}:** {b.text}"


def export_markdown(loaded: LoadedLog, redactor: Redactor | None = None) -> str:
    """The session as Markdown, with tool outputs in collapsed <details>."""
    r = redactor or Redactor.from_env()
    t = build_transcript(_redacted(loaded, r))
    parts = [f"# {t.title}", "\n".join(f"- **{k}**: {v}" for k, v in t.meta), "## Task", t.task.strip() or "(none)"]
    if t.plan:
        parts += ["## Plan", "\n".join(t.plan)]
    parts.append("## Transcript")
    parts += [_md_block(b) for b in t.blocks]
    parts.append("## Result")
    if t.summary:
        parts.append(t.summary.strip())
    parts.append("\n".join(f"- **{k}**: {v}" for k, v in t.result))
    return r.redact("\n\n".join(parts) + "\n")


CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;white-space:pre-wrap}"
    "blockquote{border-left:4px solid #ccc;margin:0;padding-left:1rem}"
    "summary{cursor:pointer;font-family:monospace}.error summary,.error{color:#b00}"
    ".add{color:#070}.del{color:#b00}.notice{color:#865}"
)


def _esc(text: str) -> str:
    """HTML-escaped text."""
    return html.escape(text, quote=True)


def _html_diff(text: str) -> str:
    """A diff with added and removed lines coloured."""
    rows = []
    for line in text.splitlines():
        cls = "add" if line.startswith("+") and not line.startswith("+++") else (
            "del" if line.startswith("-") and not line.startswith("---") else "")
        rows.append(f'<span class="{cls}">{_esc(line)}</span>' if cls else _esc(line))
    return "<pre>" + "\n".join(rows) + "</pre>"


def _html_block(b: Block) -> str:
    """HTML for one block."""
    if b.kind == "user":
        return f"<h3>User</h3><blockquote><pre>{_esc(b.text)}</pre></blockquote>"
    if b.kind == "step":
        return f"<h3>{_esc(b.title)}</h3>" + (f"<p>{_esc(b.text)}</p>" if b.text else "")
    if b.kind == "tool":
        cls = ' class="error"' if b.error else ""
        return f"<details{cls}><summary>{_esc(b.title)}</summary><pre>{_esc(b.text)}</pre></details>"
    if b.kind == "diff":
        return f"<p><b>Edited <code>{_esc(b.title)}</code></b></p>{_html_diff(b.text)}"
    return f'<p class="{"error" if b.error else "notice"}">{_esc(b.text)}</p>'


def _html_list(rows: list[tuple[str, str]]) -> str:
    """A definition-like list."""
    return "<ul>" + "".join(f"<li><b>{_esc(k)}</b>: {_esc(v)}</li>" for k, v in rows) + "</ul>"


def export_html(loaded: LoadedLog, redactor: Redactor | None = None) -> str:
    """The session as one self-contained HTML page (inline CSS, everything escaped)."""
    r = redactor or Redactor.from_env()
    clean = _redacted(loaded, r)
    t = build_transcript(clean)
    parts = [f"<h1>{_esc(t.title)}</h1>", _html_list(t.meta), "<h2>Task</h2>", f"<pre>{_esc(t.task.strip())}</pre>"]
    if t.plan:
        parts += ["<h2>Plan</h2>", "<ul>" + "".join(f"<li>{_esc(s.removeprefix('- '))}</li>" for s in t.plan) + "</ul>"]
    parts.append(_context_section(clean))
    parts.append("<h2>Transcript</h2>")
    parts += [_html_block(b) for b in t.blocks]
    parts.append("<h2>Result</h2>")
    if t.summary:
        parts.append(f"<p>{_esc(t.summary.strip())}</p>")
    parts.append(_html_list(t.result))
    head = f'<meta charset="utf-8"><title>{_esc(t.title)}</title><style>{CSS}</style>'
    return f"<!DOCTYPE html>\n<html><head>{head}</head><body>\n" + "\n".join(parts) + "\n</body></html>\n"


def _context_section(loaded: LoadedLog) -> str:
    """The token timeline and what compactions dropped (agent.frontends.export.context_section); a note if the log cannot be rebuilt."""
    from agent.frontends.export.context_section import context_html

    try:
        return context_html(loaded)
    except Exception as exc:  # an export never fails over its chart
        return f'<p class="notice">context timeline unavailable: {_esc(str(exc) or type(exc).__name__)}</p>'


def _redacted(loaded: LoadedLog, redactor: Redactor) -> LoadedLog:
    """A copy of the log with secrets masked in every string (before escaping, so masks match)."""
    from agent.core.events import event_from_dict

    def clean(value: Any) -> Any:
        """The value with every string redacted."""
        if isinstance(value, str):
            return redactor.redact(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    events = [event_from_dict(clean(e.to_dict())) for e in loaded.events]
    return LoadedLog(path=loaded.path, header=clean(loaded.header), events=events, note=loaded.note)
