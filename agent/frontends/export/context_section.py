"""The HTML export's context section: the token timeline (inline SVG) and what each compaction dropped."""
from __future__ import annotations

from html import escape

from agent.log.inspector import Dropped, compactions
from agent.log.writer import LoadedLog
from agent.log.timeline import build_timeline, short
from agent.frontends.export.timeline_svg import render_svg

CSS = (".cmp{display:flex;gap:1rem;align-items:flex-start}.cmp>div{flex:1;min-width:0}"
       ".cmp table{border-collapse:collapse;font-size:.85rem;width:100%}.cmp td{border-top:1px solid #ddd;"
       "padding:.1rem .3rem;vertical-align:top}.cmp td.n{text-align:right;white-space:nowrap}.stub{color:#886}")


def _turn_row(turn: dict[str, object]) -> str:
    """One replaced message: role, tokens, text (collapsed when long)."""
    text = str(turn["text"])
    cls = ' class="stub"' if turn["evicted"] else ""
    first = escape(text.splitlines()[0][:120] if text else "")
    body = f"<details><summary>{first}</summary><pre>{escape(text)}</pre></details>" if len(text) > 120 or "\n" in text \
        else first
    return f"<tr{cls}><td>{escape(str(turn['role']))}</td><td class=\"n\">{turn['tokens']}</td><td>{body}</td></tr>"


def dropped_html(item: Dropped) -> str:
    """A compaction: the replaced turns beside the summary and the scratchpad facts it kept."""
    e = item.event
    when = f"before step {item.step}" if item.step else "after the last step"
    head = (f'<h3 id="compaction-{item.index}">Compaction {item.index} ({when})</h3>'
            f"<p>{len(item.turns)} messages ({item.dropped_tokens} tokens) replaced by a {item.summary_tokens}-token "
            f"summary; request {e.tokens_before} → {e.tokens_after} tokens"
            + (f"; focus: {escape(e.focus)}" if e.focus else "") + "</p>")
    left = ("<div><h4>Replaced turns</h4><table>" + "".join(_turn_row(t) for t in item.turns) + "</table></div>")
    facts = "".join(f"<li>#{f['id']} {escape(str(f['text']))}" + (" <i>(also in the summary)</i>" if f["in_summary"]
                                                                      else "") + "</li>" for f in item.facts)
    right = (f"<div><h4>Summary it wrote</h4><pre>{escape(e.summary)}</pre>"
             "<h4>Scratchpad facts (kept verbatim in every request)</h4>" + (f"<ul>{facts}</ul>" if facts else
                                                                              "<p>none</p>") + "</div>")
    return head + f'<div class="cmp">{left}{right}</div>'


def context_html(loaded: LoadedLog) -> str:
    """The section: a one-line summary, the SVG timeline and every compaction; '' for a session without requests."""
    timeline = build_timeline(loaded)
    if not timeline.points:
        return ""
    items = compactions(loaded)
    evicted = sum(p.evicted for p in timeline.points)
    intro = (f"<p>{len(timeline.points)} requests · peak {short(timeline.peak)} tokens of a "
             f"{short(timeline.budget)} budget · {evicted} tool outputs evicted · {len(items)} compactions. "
             "Hover a bar for its breakdown; click a compaction mark to see what it dropped.</p>")
    parts = [f"<style>{CSS}</style>", "<h2>Context</h2>", intro, render_svg(timeline)]
    if items:
        parts.append("<h2>Compactions</h2>")
        parts += [dropped_html(item) for item in items]
    return "\n".join(parts)
