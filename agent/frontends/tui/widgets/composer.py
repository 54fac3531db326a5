"""The composer: a multi-line input with history and collapsed long pastes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events
from textual.message import Message
from textual.widgets import TextArea

PASTE_LINES = 8
NEWLINE_KEYS = ("shift+enter", "ctrl+j", "alt+enter", "ctrl+enter")


class Composer(TextArea):
    """Enter submits; shift+enter or ctrl+j add a newline; up/down walk the history."""

    @dataclass
    class Submitted(Message):
        """The user sent a message (long pastes expanded)."""

        composer: Composer
        text: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)  # type: ignore[arg-type]
        self.sent: list[str] = []
        self._cursor_in_history: int | None = None
        self._draft = ""
        self._pastes: list[tuple[str, str]] = []
        self.completion: Any = None  # a CompletionController (widgets/completion.py) once the app wires one

    def on_text_area_changed(self, _: TextArea.Changed) -> None:
        """Refresh the completion menu as the text changes."""
        if self.completion is not None:
            self.completion.update()

    def on_text_area_selection_changed(self, _: TextArea.SelectionChanged) -> None:
        """Refresh (or close) the completion menu when the cursor moves."""
        if self.completion is not None:
            self.completion.update()

    async def _on_key(self, event: events.Key) -> None:
        """Submit, newline and history keys; everything else goes to the TextArea."""
        if self.completion is not None and self.completion.on_key(event.key):  # the open completion menu's keys
            event.prevent_default()
            event.stop()
        elif event.key == "enter":
            event.prevent_default()
            event.stop()
            self.submit()
        elif event.key in NEWLINE_KEYS:
            event.prevent_default()
            event.stop()
            self.insert("\n")
        elif event.key == "up" and self.cursor_location[0] == 0 and self.sent:
            event.prevent_default()
            event.stop()
            self._walk(-1)
        elif event.key == "down" and self.cursor_location[0] == self.document.line_count - 1 \
                and self._cursor_in_history is not None:
            event.prevent_default()
            event.stop()
            self._walk(1)
        else:
            await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        """Collapse a long paste into a chip; the whole text is sent on submit."""
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")  # terminals and tmux paste CR line ends
        lines = text.rstrip("\n").count("\n") + 1
        if lines < PASTE_LINES:
            return await super()._on_paste(event)
        event.prevent_default()
        event.stop()
        chip = f"[pasted {lines} lines]"
        self._pastes.append((chip, text))
        self.insert(chip)

    def expanded(self) -> str:
        """The composer's text with each paste chip replaced by what was pasted."""
        text = self.text
        for chip, pasted in self._pastes:
            text = text.replace(chip, pasted, 1)
        return text

    def submit(self) -> None:
        """Send the text, remember it, clear the composer."""
        text = self.expanded()
        if not text.strip():
            return
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._cursor_in_history = None
        self._pastes.clear()
        self.clear()
        self.post_message(self.Submitted(self, text))

    def _walk(self, step: int) -> None:
        """Move through the sent messages (up: older, down: newer, past the newest: the draft)."""
        if self._cursor_in_history is None:
            self._draft = self.text
            index = len(self.sent) - 1 if step < 0 else None
        else:
            index = self._cursor_in_history + step
            index = max(index, 0)
            if index >= len(self.sent):
                index = None
        self._cursor_in_history = index
        self.load_text(self._draft if index is None else self.sent[index])
        self.move_cursor(self.document.end if step > 0 or index is None else (0, len(self.document.lines[0])))
