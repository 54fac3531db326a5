"""/help: commands and key bindings."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# pith

Type a task and press **Enter**. The agent plans, reads, edits and runs tests; you approve what changes things.

| Command | What it does |
|---|---|
| `/compact [focus]` | summarise older turns now (optionally keeping a focus) |
| `/context` | the token timeline, the next request by region, what each compaction dropped |
| `/undo` | restore the files to the previous checkpoint |
| `/diff` | show every change this session made |
| `/model NAME` | switch model (e.g. `openai/gpt-4o`); a bad name keeps the old one |
| `/clear` | end this session and start a fresh one |
| `/sessions` | pick an earlier session of this repository and resume it |
| `/commit` | commit the files this session changed (message drafted from the session; you edit it; your git identity) |
| `/rewind` | list the session's checkpoints (time, label, files) and restore one |
| `/NAME [args]` | a custom command from `.pith/commands/NAME.md` (`$ARGUMENTS` is replaced by args) |
| `!command` | run a shell command yourself (no dialog); its output goes to the model with your next message |
| `@path`, `@path:Name` | attach a file's outline, or one symbol's code, to your message (Tab completes paths) |
| `/help` | this screen |

| Key | What it does |
|---|---|
| Enter | send (while a turn runs, the message is queued and sent when it ends) |
| Shift+Enter, Ctrl+J | new line |
| Up / Down | previous / next message (on the first / last line), saved per repository |
| Ctrl+R | search earlier messages of this repository |
| Tab | accept the highlighted completion (`/` commands, `@` files) |
| Ctrl+C | interrupt the running turn; twice within 2 s quits |
| Ctrl+Q | quit (the session log is completed first) |
| Ctrl+B | show / hide the side panel |
| Ctrl+O | expand / collapse the last tool call |
| PageUp / PageDown | scroll the conversation (scrolling up stops following the newest output) |
| End (empty composer), Ctrl+End, Ctrl+L | jump to the latest output and follow it again |
| Escape | close a dialog; otherwise back to the composer (typing always lands there) |
| Shift+Tab / Tab | move to a tool call; Enter expands it |
| Ctrl+P | command palette (every command above) |

A long paste is shown as `[pasted N lines]` and sent whole. Tool calls are collapsed: click one (or Ctrl+O) to see the
exact output the model saw; a running command shows its last 20 lines and the time so far.
"""


class HelpScreen(ModalScreen[None]):
    """Commands and keys."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        """The help text."""
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        """Close."""
        self.dismiss(None)
