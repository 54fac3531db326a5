"""Core habits: @mentions attached to the user message, `!command` output joining the context, rewind, commit."""
from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from agent.backends.scripted import ScriptedModel
from agent.settings.config import Settings
from agent.core.events import SessionFinished, ShellRan, UserMessage
from agent.core.ops import RunShell, Shutdown, SubmitTurn
from agent.core.file_finder import list_files, rank, score
from agent.frontends.headless import run_headless
from agent.log.writer import read_log
from agent.core.mentions import build_attachment, find_mentions
from agent.compose import build_session
from tests.conftest import git
from tools.base import ToolContext


def session_for(repo: Path, turns: list[dict], session_dir: Path | None = None, **settings: object):
    """A session on `repo` driven by scripted turns."""
    opts = {"approve": "auto", "plan": False, "interactive": True, **settings}
    return build_session(Settings(model="scripted:x", **opts), repo, None, session_dir, "task",
                         model=ScriptedModel(turns))


def answer(text: str) -> dict:
    """A scripted reply without tool calls."""
    return {"role": "assistant", "content": text}


def test_find_mentions_only_existing_paths_inside_the_repo(demo_repo: Path) -> None:
    text = ("fix @shop/cart.py:Cart.total, see @README.md. mail me@example.com about @nothing/here.py "
            "and @../etc/passwd and @shop/ again @shop/cart.py:Cart.total")
    found = [m.label for m in find_mentions(demo_repo, text)]
    assert found == ["@shop/cart.py:Cart.total", "@README.md", "@shop"]


async def test_attachment_outline_symbol_folder_and_text(demo_repo: Path) -> None:
    ctx = ToolContext(root=demo_repo, cache_dir=demo_repo.parent / "cache")
    text = await build_attachment("look at @shop/pricing.py and @shop/cart.py:Cart.total and @README.md", ctx)
    assert "--- @shop/pricing.py (outline) ---" in text and "discount_percent" in text
    code = text.split("--- @shop/cart.py:Cart.total (code) ---")[1]
    assert "def total(self)" in code and "round_cents(subtotal - percent)" in code
    assert "--- @README.md (start of the file) ---" in text
    assert await build_attachment("no mentions at all", ctx) == ""
    missing = await build_attachment("@shop/cart.py:Nope", ctx)
    assert "error:" in missing and "Nope" in missing


def test_mention_reaches_model_and_log_but_view_keeps_typed_text(demo_repo: Path, session_dir: Path) -> None:
    session = session_for(demo_repo, [answer("done")], session_dir)
    out = io.StringIO()
    result = asyncio.run(run_headless(session, "fix @shop/cart.py:Cart.total please", json_mode=False, out=out))
    assert "> fix @shop/cart.py:Cart.total please\n  attached: @shop/cart.py:Cart.total (code)" in out.getvalue()
    sent = [m["content"] for m in session.model.requests[0] if m["role"] == "user"][-1]
    assert sent.startswith("fix @shop/cart.py:Cart.total please\n\n[pith attached")
    assert "def total(self)" in sent
    logged = [e for e in read_log(Path(result.log_path)).events if isinstance(e, UserMessage)][0]
    assert logged.text == "fix @shop/cart.py:Cart.total please" and "def total(self)" in logged.attachment
    from agent.log.resume import load_session

    resumed = load_session(Path(result.log_path), {"interactive": True}, model=ScriptedModel([]), append=False)
    assert [m for m in resumed.history if m["role"] == "user"][0]["content"] == sent


async def _events_until(session, kind: type, limit: float = 20.0) -> list:
    """Collect events until one of `kind` arrives."""
    seen = []

    async def collect() -> None:
        async for event in session.events():
            seen.append(event)
            if isinstance(event, kind):
                return

    await asyncio.wait_for(collect(), limit)
    return seen


async def test_user_command_output_joins_next_message(demo_repo: Path) -> None:
    session = session_for(demo_repo, [answer("seen")], approve="ask")
    session.start()
    session.submit(RunShell("echo hello-from-shell; exit 3"))
    seen = await _events_until(session, ShellRan)
    ran = seen[-1]
    assert ran.exit_code == 3 and ran.is_error and "hello-from-shell" in ran.output
    assert not [e for e in seen if e.type == "approval_requested"]  # the user's own command: no dialog
    session.submit(SubmitTurn("what failed?"))
    await session.wait_turn()
    user = [m["content"] for m in session.model.requests[0] if m["role"] == "user"][-1]
    assert user.startswith("what failed?\n\n[the user ran `echo hello-from-shell; exit 3`")
    assert "exit code 3" in user and "hello-from-shell" in user
    session.submit(Shutdown())


async def test_user_command_deny_rule_holds(demo_repo: Path) -> None:
    session = session_for(demo_repo, [], deny=["run:curl*"])
    session.start()
    session.submit(RunShell("curl http://example.com"))
    seen = []
    await asyncio.sleep(0.3)
    while not session._events.empty():
        seen.append(session._events.get_nowait())
    assert any("not run" in getattr(e, "text", "") and "deny rule" in e.text for e in seen)
    assert not any(isinstance(e, ShellRan) for e in seen)


def write(path: str, content: str, n: int) -> dict:
    """A scripted turn that writes one file."""
    args = json.dumps({"path": path, "content": content})
    return {"role": "assistant", "content": "", "tool_calls": [
        {"id": f"w{n}", "type": "function", "function": {"name": "write_file", "arguments": args}}]}


async def test_rewind_restores_a_chosen_checkpoint_and_commit(demo_repo: Path) -> None:
    from agent.core.session_git import changed_files, commit, draft_commit_message, list_checkpoints, rewind

    original = (demo_repo / "shop" / "cart.py").read_text()
    turns = [write("shop/cart.py", original + "# one\n", 1), answer("one"),
             write("notes.txt", "new\n", 2), answer("two"), write("shop/cart.py", original + "# three\n", 3),
             answer("three")]
    session = session_for(demo_repo, turns)
    session.start()
    for text in ("first", "second", "third"):
        session.submit(SubmitTurn(text))
        await session.wait_turn()
    rows = await asyncio.to_thread(list_checkpoints, session)
    assert len(rows) == 3 and all(r.label.startswith("before step") and r.when > 0 for r in rows)
    assert [r.files for r in rows] == [["shop/cart.py"], ["notes.txt"], ["shop/cart.py"]]
    assert sorted(changed_files(session)) == ["notes.txt", "shop/cart.py"]
    message = draft_commit_message(session, changed_files(session))  # answered turns: the task, the last reply
    assert message.startswith("first\n\nthree\n\nFiles:\n") and "- shop/cart.py" in message
    session.state.apply(SessionFinished(status="finished", summary="Add notes and comments\n\nTwo small edits."))
    message = draft_commit_message(session, changed_files(session))
    assert message.startswith("Add notes and comments\n\nTwo small edits.") and "- shop/cart.py" in message
    session.state.apply(SessionFinished(status="finished",
                                        summary="Fixed the total. It subtracted the percent as money; now it multiplies."))
    message = draft_commit_message(session, changed_files(session))
    assert message.startswith("Fixed the total\n\nFixed the total. It subtracted the percent as money; now")
    text = await asyncio.to_thread(rewind, session, rows[1].sha)  # back to before the notes
    assert "back at checkpoint" in text and "notes.txt" in text
    assert (demo_repo / "shop" / "cart.py").read_text() == original + "# one\n"
    assert not (demo_repo / "notes.txt").exists()
    assert len(await asyncio.to_thread(list_checkpoints, session)) == 1
    assert "not one of this session's checkpoints" in rewind(session, rows[0].sha)
    git(demo_repo, "config", "user.name", "Ada Lovelace")
    git(demo_repo, "config", "user.email", "ada@example.com")
    assert commit(session, "Add a comment").startswith("committed ")
    assert git(demo_repo, "log", "-1", "--format=%an %s").strip() == "Ada Lovelace Add a comment"
    assert git(demo_repo, "show", "--stat", "--format=", "HEAD").strip().startswith("shop/cart.py")
    session.submit(Shutdown())


def test_file_finder_lists_untracked_and_ranks_fuzzy(demo_repo: Path) -> None:
    (demo_repo / "shop" / "new_module.py").write_text("x = 1\n")
    (demo_repo / ".gitignore").write_text("ignored.txt\n")
    (demo_repo / "ignored.txt").write_text("x\n")
    files = list_files(demo_repo, refresh=True)
    assert "shop/new_module.py" in files and "ignored.txt" not in files and "shop/cart.py" in files
    assert rank("cart", files)[0] == "shop/cart.py"
    assert rank("shcrt", files)[0] == "shop/cart.py"
    assert rank("tcart", files)[0] == "tests/test_cart.py"
    assert score("zzz", "shop/cart.py") is None


def test_custom_commands_load_expand_and_never_replace_built_ins(tmp_path: Path) -> None:
    from agent.frontends.tui.custom_commands import load_commands

    project, user = tmp_path / "repo" / ".pith" / "commands", tmp_path / "user"
    project.mkdir(parents=True)
    user.mkdir()
    (project / "Review.md").write_text("# Review the diff\nFocus on $ARGUMENTS, then list risks.\n")
    (project / "commit.md").write_text("run rm -rf /\n")  # a built-in name: ignored
    (project / "bad name.md").write_text("x\n")
    (project / "empty.md").write_text("---\ndescription: nothing\n---\n")
    (user / "review.md").write_text("user version\n")
    (user / "standup.md").write_text("---\ndescription: Summarise my day\n---\nWhat changed today?\n")
    found = load_commands(tmp_path / "repo", user, reserved=("commit",))
    assert sorted(found) == ["review", "standup"]
    assert found["review"].source == "project" and found["review"].help == "Review the diff"
    assert found["review"].expand(" the parser ") == "# Review the diff\nFocus on the parser, then list risks."
    assert found["standup"].help == "Summarise my day"
    assert found["standup"].expand("briefly") == "What changed today?\n\nbriefly"


def test_history_store_round_trip_skips_bad_lines_and_search(tmp_path: Path) -> None:
    from agent.frontends.tui.history_store import HistoryStore, history_file, search

    path = history_file(tmp_path, tmp_path / "repo")
    assert path.parent == tmp_path / "history" and path != history_file(tmp_path, tmp_path / "other")
    store = HistoryStore(path)
    for text in ("fix the cart", "fix the cart", "run tests", "x" * 30_000):
        store.append(text)
    with open(path, "a") as handle:
        handle.write("not json\n")
    assert HistoryStore(path).load() == ["fix the cart", "run tests"]
    assert search(["fix the cart", "run tests", "Fix THE parser"], "fix the") == ["Fix THE parser", "fix the cart"]
    assert HistoryStore(None).load() == []
