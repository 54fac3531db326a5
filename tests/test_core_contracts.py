"""Contracts of the core: every event is classified durable or not, the loop and executor act on typed outcomes
(never on tool names), and the core's modules import each other without cycles."""
from __future__ import annotations

import ast
from pathlib import Path

import agent.events as events
from agent.events import Event, Outcome, ToolCallFinished, event_from_dict

ROOT = Path(__file__).resolve().parent.parent
CORE = ("session", "loop", "toolcalls", "control", "resume", "events", "context", "compaction", "checkpoints",
        "user_shell", "session_git", "runner", "mentions", "scratchpad", "state", "host")
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
    assert live_only == {"ShellStarted", "AssistantDelta", "IndexProgress", "CommandOutput", "DiffShown"}


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
        tree = ast.parse((ROOT / "agent" / name).read_text())
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


def imports(module: str) -> set[str]:
    """The agent.* modules one core module imports, at any level (function bodies, TYPE_CHECKING too)."""
    tree = ast.parse((ROOT / "agent" / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("agent."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("agent.")}
    return names


def test_the_core_has_no_import_cycle() -> None:
    graph = {m: imports(m) & set(CORE) - {m} for m in CORE}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join(path + (module,))
        if module in done:
            return
        for dep in graph[module]:
            visit(dep, path + (module,))
        done.add(module)

    for module in CORE:
        visit(module, ())
    for part in ("loop", "toolcalls", "control", "compaction", "checkpoints", "user_shell", "session_git", "mentions"):
        assert "session" not in graph[part] and "runner" not in graph[part], part
