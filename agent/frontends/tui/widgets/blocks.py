"""Conversation blocks: user text, streaming assistant Markdown, tool calls, diffs, notices."""
from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Markdown, Static

DIFF_THEME = "monokai"
TOOL_ICONS = {"running": "…", "ok": "✓", "error": "✗", "denied": "⊘", "waiting": "?"}
LIVE_LINES = 20  # a running command shows the tail of its output, this many lines
LIVE_CHARS = 20_000  # and keeps at most this much of it in memory


def diff_renderable(diff: str) -> Syntax | Text:
    """A unified diff, syntax highlighted."""
    if not diff.strip():
        return Text("(no changes)", style="dim")
    return Syntax(diff.rstrip("\n"), "diff", theme=DIFF_THEME, word_wrap=True, background_color="default")


class UserBlock(Static):
    """What the user typed."""

    def __init__(self, text: str, max_lines: int = 12) -> None:
        lines = text.strip().splitlines() or [""]
        shown = Text("› ", style="bold") + Text("\n".join(lines[:max_lines]))
        if len(lines) > max_lines:
            shown.append(f"\n  … {len(lines) - max_lines} more lines (sent whole)", style="dim italic")
        super().__init__(shown, classes="block user")


class NoticeBlock(Static):
    """A one-line notice, error or context mark."""

    def __init__(self, text: str, level: str = "info") -> None:
        super().__init__(Text(text), classes=f"block notice {level}")


class AssistantBlock(Markdown):
    """Assistant text, streamed in batches and finalised with the exact message."""

    def __init__(self) -> None:
        super().__init__("", classes="block assistant")
        self.text = ""
        self._pending = ""
        self.final = False

    def feed(self, delta: str) -> None:
        """Queue streamed text; `flush` renders it."""
        self.text += delta
        self._pending += delta
        self._before_mount()

    def _before_mount(self) -> None:
        """Not mounted yet: Markdown's own mount handler renders its initial text, so hand it ours."""
        if not self.is_mounted:
            self._initial_markdown = self.text
            self._pending = ""

    def flush(self) -> None:
        """Render the queued text (called at most every 50 ms while streaming)."""
        if self._pending and not self.final and self.is_mounted:
            chunk, self._pending = self._pending, ""
            if self.source:
                self.append(chunk)  # parses only the tail, so long replies stay cheap
            else:
                self.update(self.text)

    def finish(self, content: str) -> None:
        """Show the exact final message."""
        self.final = True
        self._pending = ""
        changed = content != self.text or self.source != content
        self.text = content
        if changed and self.is_mounted:
            self.update(content)
        self._before_mount()


class ToolBlock(Collapsible):
    """One tool call: name, key args, status and duration; expands to the exact output the model saw.

    While a command runs, its live output (the last LIVE_LINES lines) shows under the title with the elapsed time.
    """

    def __init__(self, call_id: str, name: str, label: str) -> None:
        self.call_id = call_id
        self.name_ = name
        self.call_label = label or name
        self.output = Static("", classes="tool-output", markup=False)
        self.live = Static("", classes="tool-live", markup=False)
        self.live.display = False
        self.live_text = ""
        self.live_dirty = False
        super().__init__(self.output, title=self._headline("running", None), collapsed=True, classes="block tool")
        self.status = "running"

    def compose(self) -> ComposeResult:
        """Title, the collapsible output, then the live tail of a running command."""
        yield from super().compose()
        yield self.live

    def add_output(self, text: str) -> None:
        """Append live output from the running command; `show_output` draws it (batched, like streamed text)."""
        if self.status != "running" or not text:
            return
        self.live_text = (self.live_text + text.replace("\r\n", "\n"))[-LIVE_CHARS:]
        self.live_dirty = True

    def show_output(self) -> None:
        """Draw the last lines of the live output, if any arrived since the last call."""
        if not self.live_dirty or self.status != "running":
            return
        self.live_dirty = False
        lines = self.live_text.rstrip("\n").split("\n")
        # progress bars redraw their line with \r: show the last state of each line
        # at most a third of the screen, so the title (and its timer) stays in view on small terminals
        try:
            keep = max(3, min(LIVE_LINES, self.app.size.height // 3))
        except Exception:  # no running app (a unit test of the widget alone)
            keep = LIVE_LINES
        shown = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines[-keep:])
        self.live.update(Text(shown))
        self.live.display = True

    def tick(self, elapsed: float) -> None:
        """Show how long the call has been running."""
        if self.status == "running" and elapsed >= 1:
            self.title = self._headline(self.status, elapsed, running=True)

    def _headline(self, status: str, duration: float | None, running: bool = False) -> str:
        """The one-line summary shown when collapsed."""
        icon = TOOL_ICONS.get(status, "·")
        if running and duration is not None:
            return f"{icon} {self.call_label} · {elapsed_text(duration)}"
        dur = f" · {duration:.1f}s" if duration is not None and duration >= 0.1 else ""
        return f"{icon} {self.call_label}{dur}"

    def finish(self, text: str, is_error: bool, duration: float | None, denied: bool = False) -> None:
        """Record the result."""
        self.status = "denied" if denied else "error" if is_error else "ok"
        self.title = self._headline(self.status, duration)
        self.live.display = False  # the full output the model saw is in the expandable part
        self.output.update(Text(text))
        self.set_class(is_error, "error")

    def waiting(self) -> None:
        """Mark the call as waiting for an approval."""
        self.status = "waiting"
        self.title = self._headline("waiting", None)

    def approved(self) -> None:
        """The approval came back: running again."""
        if self.status == "waiting":
            self.status = "running"


def elapsed_text(seconds: float) -> str:
    """12 -> '12s', 75 -> '1m 15s'."""
    seconds = int(seconds)
    return f"{seconds}s" if seconds < 60 else f"{seconds // 60}m {seconds % 60:02d}s"


class DiffBlock(Vertical):
    """A file edit as a highlighted unified diff."""

    def __init__(self, path: str, diff: str) -> None:
        super().__init__(classes="block diff")
        self.path = path
        self.diff = diff

    def compose(self) -> ComposeResult:
        """Title line and the diff."""
        yield Static(Text(f"✎ {self.path}", style="bold"), classes="diff-title")
        yield Static(diff_renderable(self.diff), classes="diff-body")
