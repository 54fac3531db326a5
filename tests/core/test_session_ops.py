"""Ops front ends submit for what they used to do to the session directly: switch the model, show the diff."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.core.events import DiffShown, Event, ModelSwitched, Notice, TurnEnded
from agent.core.ops import ShowDiff, Shutdown, SubmitTurn, SwitchModel
from agent.log.writer import read_log
from agent.log.resume import load_session
from agent.compose import build_session
from tests.context.test_context import step


async def drive(session: Any, *ops: Any, settle: float = 0.3) -> list[Event]:
    """Start the session, submit the ops one by one (each after the last settled), shut down; every event."""
    session.start()
    for op in ops:
        session.submit(op)
        await asyncio.sleep(settle)
        await session.wait_turn()
    session.submit(Shutdown())
    return [event async for event in session.events()]


async def test_switch_model_is_an_op_answered_by_a_logged_event(demo_repo: Path, session_dir: Path,
                                                               tmp_path: Path) -> None:
    script = tmp_path / "other.jsonl"
    script.write_text(json.dumps({"content": "hi from the other model"}) + "\n")
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False, interactive=True), demo_repo,
                            None, session_dir, "t", model=ScriptedModel([]))
    events = await drive(session, SwitchModel(f"scripted:{script}"), SubmitTurn("hello"),
                         SwitchModel(f"scripted:{tmp_path / 'missing.jsonl'}"))
    switched = [e for e in events if isinstance(e, ModelSwitched)]
    assert [e.model for e in switched] == [f"scripted:{script}"]
    assert session.model.name == session.state.model == f"scripted:{script}"  # the failed switch kept it
    assert session.state.summary == "hi from the other model"  # the next request went to the new model
    errors = [e.text for e in events if isinstance(e, Notice) and e.level == "error"]
    assert len(errors) == 1 and "missing.jsonl" in errors[0] and "keeping" in errors[0]
    log = Path(session.log.path)
    assert any(isinstance(e, ModelSwitched) for e in read_log(log).events)
    assert load_session(log, model=ScriptedModel([]), append=False).state.model == f"scripted:{script}"


async def test_switch_model_within_a_turn_takes_the_next_request(demo_repo: Path, session_dir: Path,
                                                                  tmp_path: Path) -> None:
    script = tmp_path / "other.jsonl"
    script.write_text(json.dumps(step(("finish", {"summary": "the other model finished"}), n=1)) + "\n")
    first = ScriptedModel([step(("run", {"command": "sleep 1"}), n=0), {"content": "never asked"}])
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False), demo_repo, None, session_dir,
                            "t", model=first)
    session.start()
    session.submit(SubmitTurn("go"))
    await asyncio.sleep(0.3)
    session.submit(SwitchModel(f"scripted:{script}"))
    assert await session.wait_turn() == "finished"
    session.submit(Shutdown())
    events = [event async for event in session.events()]
    assert len(first.requests) == 1 and session.state.summary == "the other model finished"
    switched = next(i for i, e in enumerate(events) if isinstance(e, ModelSwitched))
    replies = [i for i, e in enumerate(events) if e.type == "assistant_message"]
    assert replies[0] < switched < replies[1] and events[replies[1]].model == f"scripted:{script}"


async def test_show_diff_answers_with_a_live_only_event(demo_repo: Path, session_dir: Path) -> None:
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False), demo_repo, None, session_dir,
                            "t", model=ScriptedModel([step(("write_file", {"path": "new.txt", "content": "hello\n"}),
                                                           n=0), step(("run", {"command": "true"}), n=1),
                                                      step(("finish", {"summary": "done"}), n=2)]))
    events = await drive(session, SubmitTurn("write it"), ShowDiff())
    assert any(isinstance(e, TurnEnded) and e.status == "finished" for e in events)
    shown = [e for e in events if isinstance(e, DiffShown)]
    assert len(shown) == 1 and "new.txt" in shown[0].text and "+hello" in shown[0].text
    assert not any(e.type == "diff_shown" for e in read_log(Path(session.log.path)).events)


async def test_checkpoints_and_commit_are_ops_answered_by_live_only_events(demo_repo: Path, session_dir: Path) -> None:
    import subprocess

    from agent.core.events import CheckpointsListed, CommitDrafted, CommitMade
    from agent.core.ops import Commit, DraftCommit, ListCheckpoints

    for key, value in (("user.name", "Grace Hopper"), ("user.email", "grace@example.com")):
        subprocess.run(["git", "config", key, value], cwd=demo_repo, check=True)
    session = build_session(Settings(model="scripted:x", approve="auto", plan=False), demo_repo, None, session_dir,
                            "t", model=ScriptedModel([step(("write_file", {"path": "new.txt", "content": "hello\n"}),
                                                           n=0), step(("finish", {"summary": "Add new.txt"}), n=1)]))
    events = await drive(session, DraftCommit(), SubmitTurn("write it"), ListCheckpoints(), DraftCommit(),
                         Commit(""), Commit("second try"))
    [none, drafted] = [e for e in events if isinstance(e, CommitDrafted)]
    assert none.files == [] and drafted.files == ["new.txt"] and drafted.message.startswith("write it")
    [listed] = [e for e in events if isinstance(e, CheckpointsListed)]
    assert len(listed.rows) == 1 and listed.rows[0].files == ["new.txt"]
    made, again = [e for e in events if isinstance(e, CommitMade)]
    assert made.sha and made.text.startswith(f"committed {made.sha[:8]}: write it")  # '' : the drafted message
    assert not again.sha and again.text.startswith("commit: not made")  # nothing left to commit
    log_types = {e.type for e in read_log(Path(session.log.path)).events}
    assert not log_types & {"checkpoints_listed", "commit_drafted", "commit_made"}
    git_log = subprocess.run(["git", "log", "-1", "--format=%an|%s"], cwd=demo_repo, capture_output=True, text=True)
    assert git_log.stdout.strip() == "Grace Hopper|write it"
