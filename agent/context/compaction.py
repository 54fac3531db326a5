"""Keeping the view within budget: eviction first (in batches), compaction second (one summary call).

Cache policy (docs/context.md). Providers cache the longest unchanged prefix of a request, so changing an old
message re-writes everything after it. Between batches the view is append-only. A batch runs when
- the view passes EVICT_AT of the budget: every output older than `keep_turns` turns and every superseded one
  goes at once (it must: the alternative is not fitting), or
- earlier, when superseded outputs (re-read, edited, re-run, retried) save more than the cache they break:
  READ * HORIZON * saved >= (WRITE - READ) * (tail after the first change - saved).
Compaction (a summary call that rewrites everything after the system prompt) only runs when a batch could not bring
the view under COMPACT_AT, which leaves room for several more turns before the next batch.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from agent.context.manager import ContextManager, call_index, stale_reads, turn_starts
from agent.core.events import ContextCompacted, ContextEvicted, ModelUsage, Notice
from agent.core.host import SessionHost
from agent.core.state import ContextBook
from agent.context.tokens import count_messages, count_text
from prompts import load

__all__ = ["attach", "compact_now", "maintain"]

EVICT_AT = 0.75  # start an eviction batch above this share of the budget
COMPACT_AT = 0.6  # compact when a batch could not bring the view below this share
MIN_EVICT = 60  # tool outputs smaller than this (tokens) stay: a stub would save nothing
MAX_FAILURES = 3  # consecutive failed compactions before the circuit breaker opens
TOOL_CHARS = 2000  # per tool output in the compaction transcript
READ, WRITE = 0.1, 1.25  # prompt-cache prices relative to uncached input (Anthropic; OpenAI reads at 0.5)
HORIZON = 5  # later requests a batch must pay itself back within (conservative: tasks often end sooner)
STUB_TOKENS = 20  # what a stub costs in place of an output


def attach(session: SessionHost) -> ContextManager:
    """The session's context manager, configured for its current model (the model can change mid-session)."""
    ctx = session.context
    if not ctx.budget or ctx.model_name != session.model.name:
        ctx.configure(session.model.name, session.settings)
    while ctx.notices:
        session.emit(Notice(text=ctx.notices.pop(0), level="warning"))
    return ctx


def current_tokens(session: SessionHost, book: ContextBook | None = None) -> int:
    """The size the next request would have (with `book`: after an eviction or compaction not yet emitted)."""
    ctx = session.context
    tools = [t.schema() for t in session.tools.values()]
    return ctx.count(ctx.view(session.history, session.pad, book), tools)


async def maintain(session: SessionHost) -> None:
    """Before each model call: bring the view under budget."""
    ctx = attach(session)
    if ctx.mode == "off":
        return
    tokens = current_tokens(session)
    if tokens <= EVICT_AT * ctx.budget:
        evict(session, early_batch(session), tokens)
        return
    tokens = evict(session, candidates(session, "age"), tokens)
    if tokens <= COMPACT_AT * ctx.budget:
        return
    if ctx.mode == "full" and not ctx.compaction_disabled:
        await compact_now(session, "", reason="budget")
    elif tokens > ctx.budget:
        evict(session, candidates(session, "budget"), tokens)


def candidates(session: SessionHost, policy: str) -> dict[str, str]:
    """call_id -> reason for outputs to evict: "age" (older than keep_turns, plus stale reads) or "budget"."""
    ctx = session.context
    calls = call_index(session.history, ctx.compacted_upto)
    starts = turn_starts(session.history, ctx.compacted_upto)
    keep = 1 if policy == "budget" else max(1, session.settings.keep_turns)
    boundary = starts[-keep] if len(starts) >= keep else 0
    picks = dict(stale_reads(calls, ctx.meta))
    for cid, info in calls.items():
        if info["turn"] < boundary:
            picks.setdefault(cid, policy)
    return {cid: why for cid, why in picks.items()
            if cid not in ctx.evicted and calls[cid].get("tokens", 0) >= MIN_EVICT}


def early_batch(session: SessionHost) -> dict[str, str]:
    """Superseded outputs (plus old ones after them, which ride along free) when that saves more than it breaks."""
    picks = candidates(session, "age")
    stale = [cid for cid, why in picks.items() if why != "age"]
    if not stale:
        return {}
    ctx = session.context
    calls = call_index(session.history, ctx.compacted_upto)
    body = ctx.body(session.history)
    best: dict[str, str] = {}
    gain = 0.0
    for first in sorted({calls[cid]["index"] for cid in stale}):
        batch = {cid: why for cid, why in picks.items() if calls[cid]["index"] >= first}
        saved = sum(calls[cid]["tokens"] - STUB_TOKENS for cid in batch)
        tail = count_messages(body[first - ctx.compacted_upto:])
        net = READ * HORIZON * saved - (WRITE - READ) * (tail - saved)
        if net > gain:
            best, gain = batch, net
    return best


def stub_for(session: SessionHost, info: dict[str, Any]) -> str:
    """`[evicted: read_symbol app/auth.py:login, 412 tokens; call it again if needed]`."""
    tool = session.tools.get(info["name"])
    try:
        label = tool.describe_call(info["args"]) if tool else info["name"]
    except Exception:  # a label is cosmetic: never fail eviction over it
        label = info["name"]
    return f"[evicted: {label}, {info.get('tokens', 0)} tokens; call it again if needed]"


def evict(session: SessionHost, picks: dict[str, str], tokens: int) -> int:
    """Stub the picked outputs, one ContextEvicted per reason; returns the tokens after."""
    if not picks:
        return tokens
    ctx = session.context
    calls = call_index(session.history, ctx.compacted_upto)
    for reason in ("reread", "edited", "rerun", "retried", "age", "budget"):
        ids = [cid for cid, why in picks.items() if why == reason]
        if not ids:
            continue
        stubs = {cid: stub_for(session, calls[cid]) for cid in ids}
        after = current_tokens(session, dataclasses.replace(ctx.book, evicted={**ctx.evicted, **stubs}))
        session.emit(ContextEvicted(call_ids=ids, tokens_before=tokens, tokens_after=after, reason=reason, stubs=stubs))
        tokens = after
    return tokens


def fallback(session: SessionHost, tokens: int) -> int:
    """When compaction cannot run: evict every output but the last turn's (never a dead session)."""
    return evict(session, candidates(session, "budget"), tokens)


async def compact_now(session: SessionHost, focus: str, reason: str) -> str:
    """Summarise older turns (model tool, user request, context-length error, budget); returns a line for the model."""
    ctx = attach(session)
    before = current_tokens(session)
    keep = 1 if reason == "context_length" else max(1, session.settings.keep_turns)
    starts = turn_starts(session.history, ctx.compacted_upto)
    if ctx.compaction_disabled or ctx.mode != "full":
        after = fallback(session, before)
        return f"compaction is off for this session; evicted old tool outputs instead ({before} -> {after} tokens)"
    if len(starts) <= keep:
        after = fallback(session, before) if reason == "context_length" or before > ctx.budget else before
        return f"nothing old enough to compact yet ({after} tokens in context)"
    cut, start = starts[-keep], ctx.compacted_upto
    try:
        summary = await summarise(session, start, cut, focus)
    except Exception as exc:  # model error, empty or oversize summary: fall back, never dead-end the session
        return compaction_failed(session, exc, before)
    ctx.failures = 0
    after = current_tokens(session, dataclasses.replace(ctx.book, summary=summary, compacted_upto=cut))
    session.emit(ContextCompacted(summary=summary, upto_index=cut, tokens_before=before, tokens_after=after,
                                  focus=focus, dropped=cut - start))
    if after > ctx.budget:
        after = fallback(session, after)
    return f"compacted {cut - start} older messages into a summary ({before} -> {after} tokens); scratchpad kept"


def compaction_failed(session: SessionHost, exc: Exception, before: int) -> str:
    """Count the failure, open the circuit breaker at MAX_FAILURES, evict instead."""
    ctx = session.context
    ctx.failures += 1
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    after = fallback(session, before)
    text = f"compaction failed ({reason}); evicted old tool outputs instead ({before} -> {after} tokens)"
    session.emit(Notice(text=text, level="warning"))
    if ctx.failures >= MAX_FAILURES:
        ctx.compaction_disabled = True
        session.emit(Notice(text=f"compaction failed {ctx.failures} times in a row; it is off for this session "
                                 "(old tool outputs are still evicted)", level="warning"))
    return text


async def summarise(session: SessionHost, start: int, cut: int, focus: str) -> str:
    """One batch call: the structured summary of history[start:cut], with the original request kept verbatim."""
    ctx = session.context
    parts = []
    if ctx.summary:
        parts.append("<previous_summary>\n" + ctx.summary + "\n</previous_summary>")
    parts.append("<transcript>\n" + transcript(session, start, cut, ctx.budget * 2) + "\n</transcript>")
    pad = session.pad.render(session.root)
    if pad:
        parts.append("<scratchpad>\n" + pad + "\n</scratchpad>")
    if focus:
        parts.append(f"Focus: keep everything about {focus}.")
    messages = [{"role": "system", "content": load("compact.md")}, {"role": "user", "content": "\n\n".join(parts)}]
    model = session.summariser()
    reply = await model.complete(messages, None)
    session.emit(ModelUsage(purpose="compaction", model=model.name, input_tokens=reply.input_tokens,
                            output_tokens=reply.output_tokens, cache_read_tokens=reply.cache_read_tokens,
                            cache_write_tokens=reply.cache_write_tokens, cost=reply.cost))
    text = (reply.content or "").strip()
    if not text:
        raise ValueError("the summariser returned nothing")
    dropped = count_messages(ctx.body(session.history[:cut]))
    limit = min(max(1000, ctx.budget // 4), dropped)
    if count_text(text) >= limit:
        raise ValueError(f"summary too large ({count_text(text)} tokens; limit {limit})")
    task = next((m.get("content") for m in session.history if m.get("role") == "user"), "")
    return f"Original request (verbatim):\n{str(task)[:4000]}\n\n{text}"


def transcript(session: SessionHost, start: int, cut: int, max_chars: int) -> str:
    """history[start:cut] as text for the summariser: stubs for evicted outputs, long outputs capped."""
    lines = []
    for message in session.context.body(session.history[:cut])[start - session.context.compacted_upto:]:
        role = message.get("role", "")
        content = str(message.get("content") or "")
        if role == "tool" and len(content) > TOOL_CHARS:
            content = content[:TOOL_CHARS] + f"\n[… {len(content) - TOOL_CHARS} more chars]"
        calls = [f"-> {c['function']['name']}({c['function'].get('arguments', '')[:300]})"
                 for c in message.get("tool_calls") or []]
        lines.append(f"[{role}] " + "\n".join([content, *calls]).strip())
    text = "\n\n".join(lines)
    if len(text) > max_chars:
        keep = max_chars // 4
        text = text[:keep] + "\n\n[… middle of the transcript left out …]\n\n" + text[-(max_chars - keep):]
    return text
