"""Contracts of the core: every event is classified durable or not, the loop and executor act on typed outcomes
(never on tool names), and the core's modules import each other without cycles."""
from __future__ import annotations

import ast
from pathlib import Path

import agent.core.events as events
from agent.core.events import Event, Outcome, ToolCallFinished, event_from_dict

ROOT = Path(__file__).resolve().parents[2]
TOOL_NAMES = {"finish", "compact", "run", "plan", "note"}


def all_subclasses(cls: type) -> set[type]:
    """Every subclass, at any depth."""
    found = set(cls.__subclasses__())
    return found | {s for c in found for s in all_subclasses(c)}


def test_every_event_declares_whether_it_is_durable() -> None:
    classes = all_subclasses(Event)
    assert len(classes) >= 25
    for cls in classes:
        assert isinstance(cls.__dict__.get("durable"), bool), cls.__name__
    live_only = {cls.__name__ for cls in classes if not cls.durable}
    assert live_only == {"ShellStarted", "AssistantDelta", "IndexProgress", "CommandOutput", "DiffShown",
                         "CheckpointsListed", "CommitDrafted", "CommitMade"}  # answers to ops, never logged


def test_an_undeclared_event_is_refused() -> None:
    try:
        type("Vague", (Event,), {"type": "vague"})
    except TypeError as exc:
        assert "durable" in str(exc)
    else:
        raise AssertionError("an Event subclass without `durable` was accepted")
    assert "vague" not in events._EVENTS


def test_no_tool_name_in_the_loop_or_the_executor() -> None:
    for name in ("loop.py", "toolcalls.py"):
        tree = ast.parse((ROOT / "agent" / "core" / name).read_text())
        strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not strings & TOOL_NAMES, (name, strings & TOOL_NAMES)


def test_old_results_get_their_outcome_at_the_log_boundary() -> None:
    def old(**raw: object) -> ToolCallFinished:
        event = event_from_dict({"type": "tool_call_finished", "call_id": "c", "text": "t", **raw})
        assert isinstance(event, ToolCallFinished)
        return event

    assert old(name="finish").outcome == Outcome.FINISHED
    assert old(name="finish", is_error=True).outcome == Outcome.NONE
    assert old(name="run", data={"exit_code": 0}).outcome == Outcome.COMMAND
    assert old(name="run", is_error=True, data={"denied": True}).outcome == Outcome.NONE  # as a new log reads
    assert old(name="finish", is_error=True, data={"exit_code": 1}).outcome == Outcome.COMMAND  # a failed verify
    assert old(name="finish", is_error=True).outcome == Outcome.NONE
    assert old(name="grep").outcome == Outcome.NONE
    assert old(name="grep", outcome="note").outcome == "note"  # a new log says it itself
    plain = ToolCallFinished(call_id="c", name="grep", text="t").to_dict()
    assert "outcome" not in plain  # results that did nothing more log exactly as before
