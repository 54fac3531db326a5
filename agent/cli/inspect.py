"""`pith inspect` (the exact request of a step, its tokens by region, what a compaction dropped) and `pith stats`."""
from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer

from agent.cli.common import DirOpt, fail, load_log  # the same session lookup and errors as `pith replay`

PREVIEW = 90


def _line(text: str, width: int = PREVIEW) -> str:
    """A one-line preview of a message's text."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def breakdown_lines(request: Any) -> list[str]:
    """The token breakdown by region, with shares of the total."""
    from agent.log.inspector import LABELS, REGIONS

    total = max(1, request.total)
    lines = [f"  {LABELS[r]:<22}{request.regions.get(r, 0):>8,}  {100 * request.regions.get(r, 0) / total:5.1f}%"
             for r in REGIONS]
    lines.append(f"  {'total':<22}{request.total:>8,}  of a {request.budget:,}-token budget "
                 f"({100 * request.total / max(1, request.budget):.0f}%)")
    return lines


def request_text(request: Any, session_id: str, steps: int) -> str:
    """`pith inspect` as text: the breakdown, provider usage, then one line per message."""
    from agent.log.inspector import _text

    which = f"step {request.step} of {steps}" if request.step <= steps else f"the next request (after step {steps})"
    out = [f"session {session_id} · {which} · model {request.model}",
           f"{len(request.messages)} messages, {len(request.tools or [])} tool schemas; tokens counted with tiktoken "
           f"(cl100k), as pith's budget counts them", *breakdown_lines(request)]
    usage = request.provider
    if usage:
        cost = "unknown" if usage.get("cost") is None else f"${usage['cost']:.4f}"
        out.append(f"provider reported: input {usage['input_tokens']:,} · cache read {usage['cache_read_tokens']:,} · "
                   f"cache write {usage['cache_write_tokens']:,} · output {usage['output_tokens']:,} · cost {cost}")
    out.append("messages (the exact JSON: --json):")
    for i, message in enumerate(request.messages):
        calls = " ".join(f"→{c.get('function', {}).get('name', '')}" for c in message.get("tool_calls") or [])
        out.append(f"  [{i:>3}] {message.get('role', ''):<9} {_line((_text(message) + ' ' + calls).strip())}")
    return "\n".join(out) + "\n"


def request_json(request: Any, session_id: str) -> dict[str, Any]:
    """`pith inspect --json`: the request body exactly as sent, its regions and the provider's usage."""
    return {"session": session_id, "step": request.step, "model": request.model, "budget": request.budget,
            "tokens": {"total": request.total, **request.regions}, "provider": request.provider,
            "request": request.body()}


def dropped_text(item: Any) -> str:
    """`pith inspect --compaction K` as text: replaced turns beside (after) the summary, and the scratchpad."""
    e = item.event
    when = f"before step {item.step}" if item.step else "after the last step"
    out = [f"compaction {item.index} ({when}): {len(item.turns)} messages ({item.dropped_tokens:,} tokens) replaced by "
           f"a {item.summary_tokens:,}-token summary; request {e.tokens_before:,} → {e.tokens_after:,} tokens"
           + (f"; focus: {e.focus}" if e.focus else ""), "", "Replaced turns:"]
    for turn in item.turns:
        mark = " (already a stub)" if turn["evicted"] else ""
        out.append(f"  {turn['role']:<9}{turn['tokens']:>6,}  {_line(turn['text'])}{mark}")
    out += ["", "Summary it wrote:", *("  " + ln for ln in e.summary.splitlines()), "",
            "Scratchpad facts (kept verbatim in every request's scratchpad tail):"]
    out += [f"  #{f['id']} {f['text']}" + ("  [also in the summary]" if f["in_summary"] else "") for f in item.facts] \
        or ["  (none)"]
    if item.plan:
        out += ["Plan (kept verbatim):", *(f"  [{s.get('status', '')}] {s.get('step', '')}" for s in item.plan)]
    return "\n".join(out) + "\n"


def inspect(
    ref: Annotated[str, typer.Argument(help="a session log path or id (a unique prefix works)")],
    step: Annotated[Optional[int], typer.Option("--step", "-s", help="the step (1-based); default: the next request")] = None,
    compaction: Annotated[Optional[int], typer.Option("--compaction", "-c", help="show what compaction K dropped")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable; with --step, the exact request body")] = False,
    session_dir: DirOpt = None,
) -> None:
    """The exact request pith sent at a step (or would send next), rebuilt from the log, with tokens by region."""
    from agent.log.inspector import InspectError, compaction_at, replies, request_at

    if step is not None and compaction is not None:
        fail("give --step or --compaction, not both")
    loaded = load_log(ref, session_dir)
    sid = str(loaded.header.get("session_id") or loaded.path.stem)
    try:
        if compaction is not None:
            item = compaction_at(loaded, compaction)
            if json_out:
                typer.echo(json.dumps({"session": sid, "compaction": item.index, "step": item.step,
                                       "event": item.event.to_dict(), "dropped_tokens": item.dropped_tokens,
                                       "summary_tokens": item.summary_tokens, "turns": item.turns,
                                       "facts": item.facts, "plan": item.plan}, ensure_ascii=False))
            else:
                typer.echo(dropped_text(item), nl=False)
            return
        request = request_at(loaded, step)
    except InspectError as exc:
        fail(str(exc))
    if json_out:
        typer.echo(json.dumps(request_json(request, sid), ensure_ascii=False))
    else:
        typer.echo(request_text(request, sid, len(replies(loaded))), nl=False)


def stats_text(stats: Any) -> str:
    """A table of sessions and a totals line."""
    def cost(value: float | None) -> str:
        """'$0.0123' or 'unknown'."""
        return "unknown" if value is None else f"${value:.4f}"

    out = [f"{'SESSION':24} {'STATUS':14} {'REQ':>4} {'INPUT':>9} {'CACHED':>9} {'OUTPUT':>8} {'COST':>9} "
           f"{'PEAK':>7} {'COMPACT':>7}"]
    for s in stats.sessions:
        out.append(f"{s.id[:24]:24} {s.status[:14]:14} {s.requests:>4} {s.input_tokens:>9,} {s.cached_tokens:>9,} "
                   f"{s.output_tokens:>8,} {cost(s.cost):>9} {s.peak_context:>7,} {s.compactions:>7}")
    t = stats.totals()
    out.append(f"{t['sessions']} sessions: {t['solved']} solved, {t['failed']} failed, {t['unfinished']} unfinished · "
               f"{t['requests']} requests · input {t['input_tokens']:,} (cached {t['cached_tokens']:,}) · output "
               f"{t['output_tokens']:,} · cost {cost(t['cost'])} · peak context {t['peak_context']:,} · "
               f"{t['compactions']} compactions")
    return "\n".join(out) + "\n"


def stats(
    since: Annotated[Optional[str], typer.Option("--since", help="only sessions created on or after DATE (2026-12-01)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="every session and the totals as JSON")] = False,
    session_dir: DirOpt = None,
) -> None:
    """Totals across session logs: outcomes, requests, tokens, cost, peak context and compactions."""
    from agent.settings.config import default_session_dir
    from agent.log.stats import StatsError, collect, parse_since

    try:
        when = parse_since(since) if since else None
    except StatsError as exc:
        fail(str(exc))
    result = collect(session_dir or default_session_dir(), when)
    if json_out:
        typer.echo(json.dumps(result.to_dict()))
    elif not result.sessions:
        typer.echo("no sessions" + (f" since {since}" if since else "") + f" in {session_dir or default_session_dir()}")
    else:
        typer.echo(stats_text(result), nl=False)


def register(app: typer.Typer) -> None:
    """Attach inspect and stats to the main app."""
    app.command("inspect")(inspect)
    app.command("stats")(stats)


def show_timeline(loaded: Any) -> None:
    """`pith replay ID --timeline`: a Unicode chart on a terminal, tab-separated rows when piped."""
    import shutil
    import sys

    from agent.log.timeline import build_timeline, plain_rows, render_terminal

    timeline = build_timeline(loaded)
    if sys.stdout.isatty():
        width = shutil.get_terminal_size((100, 24)).columns
        sys.stdout.write(render_terminal(timeline, width))
    else:
        sys.stdout.write(plain_rows(timeline))
