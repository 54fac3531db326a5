"""Long sessions stay responsive: 500 turns of events, a capped history, and fast key presses in the composer."""
from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from textual import events

from agent.settings.config import Settings
from agent.core.events import (
    AssistantDelta, AssistantMessage, Event, FileEdited, ToolCallFinished, ToolCallStarted, TurnEnded, UserMessage,
)
from agent.frontends.tui.app import PithApp
from agent.frontends.tui.launch import Launch
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.conversation import Conversation

DIFF = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n-old = 1\n+new = 2\n"


def one_turn(i: int) -> list[Event]:
    """A user message, streamed text, a tool call, sometimes an edit."""
    text = f"Turn {i}: reading **module_{i}.py** and checking `func_{i}`."
    events: list[Event] = [UserMessage(text=f"task {i}"), *(AssistantDelta(text=w + " ") for w in text.split()),
                           AssistantMessage(step=i, content=text, context_tokens=1000 + i),
                           ToolCallStarted(call_id=f"c{i}", name="grep", arguments={}, label=f"grep func_{i}"),
                           ToolCallFinished(call_id=f"c{i}", name="grep", text=f"m.py:{i}: def func_{i}()\n" * 20)]
    if i % 10 == 0:
        events.append(FileEdited(path=f"module_{i}.py", diff=DIFF))
    return events + [TurnEnded(status="answered")]


async def press_times(pilot: Any, keys: str) -> list[float]:
    """Seconds per pilot key press (includes Pilot's own wait for the screen to settle)."""
    timings = []
    for key in keys:
        start = time.perf_counter()
        await pilot.press(key)
        timings.append(time.perf_counter() - start)
    return timings


async def input_latency(app: PithApp, keys: str) -> list[float]:
    """Seconds from a key event reaching the app to the composer's text showing it (no Pilot in between)."""
    composer = app.query_one(Composer)
    timings = []
    for key in keys:
        expected = composer.text + key
        start = time.perf_counter()
        app.post_message(events.Key(key, key))
        while composer.text != expected:
            await asyncio.sleep(0.0005)
            assert time.perf_counter() - start < 2, "key press lost"
        timings.append(time.perf_counter() - start)
    return timings


async def baseline_ms() -> float:
    """Median key press in a fresh, empty UI on this machine (Pilot overhead included)."""
    app = PithApp(Launch(settings=Settings(model="scripted"), root=Path("/repo")), autostart=False, frozen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        return statistics.median(await press_times(pilot, "abcdefghij")) * 1000


@pytest.mark.slow  # 500 turns of widgets mounted and trimmed: ~25 s; the cap and key latency need that scale
async def test_500_turns_keep_typing_fast() -> None:
    base = await baseline_ms()
    app = PithApp(Launch(settings=Settings(model="scripted"), root=Path("/repo")), autostart=False, frozen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        for i in range(500):
            for event in one_turn(i):
                app.on_session_event(event)
            if i % 50 == 0:
                await pilot.pause()
        await pilot.pause(0.5)
        conversation = app.query_one(Conversation)
        assert len(conversation.blocks) <= conversation.cap
        assert conversation.hidden > 1300 and "earlier items hidden" in str(conversation.hidden_line.render())
        composer = app.query_one(Composer)
        composer.focus()
        timings = await press_times(pilot, "the quick brown fox jumps over")
        assert composer.text == "the quick brown fox jumps over"
        direct = statistics.median(await input_latency(app, " and more")) * 1000
        # p90, not the max: one press in 30 can meet a garbage collection of 500 turns of widgets (seen: 1.4 s once
        # on a loaded CI machine); a slow composer shows in every press, so the median and p90 catch it.
        median, worst = statistics.median(timings), sorted(timings)[int(len(timings) * 0.9)]
        print(f"\nkey press after 500 turns: median {median * 1000:.1f} ms, p90 {worst * 1000:.1f} ms "
              f"(empty UI: {base:.1f} ms; both include Pilot's wait on every widget); "
              f"key event to composer text: median {direct:.1f} ms")
        assert median * 1000 < 3 * base + 50 and worst < 1.0 and direct < 50


async def test_typing_while_streaming_is_batched() -> None:
    base = await baseline_ms()
    app = PithApp(Launch(settings=Settings(model="scripted"), root=Path("/repo")), autostart=False, frozen=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.on_session_event(UserMessage(text="go"))
        block = None
        timings = []
        for n in range(200):
            app.on_session_event(AssistantDelta(text=f"word{n} "))
            block = block or app.view.current
            if n % 10 == 0:
                start = time.perf_counter()
                await pilot.press("x")
                timings.append(time.perf_counter() - start)
        await pilot.pause(0.2)
        assert block is not None and block.source.startswith("word0 word1")
        median = statistics.median(timings) * 1000
        print(f"\nkey press while streaming: median {median:.1f} ms (empty UI: {base:.1f} ms)")
        assert median < 3 * base + 50
        assert app.query_one(Composer).text == "x" * 20
