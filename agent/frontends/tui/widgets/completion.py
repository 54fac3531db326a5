"""The composer's completion menu: `/` commands, `@` files and `@path:` symbols, fuzzy-ranked."""
from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from agent.core.file_finder import list_files, rank

if TYPE_CHECKING:
    from agent.frontends.tui.widgets.composer import Composer

MAX_ITEMS = 10
MAX_COMMANDS = 40
SYNC_FILES = 20_000  # above this many files, @ completion ranks in a thread
AT_TOKEN = re.compile(r"(?:^|(?<=\s))@([\w./\-]*)$")
# " ?:" so that ":" typed right after a completed "@path " (which ends in a space) still completes its symbols
SYMBOL_TOKEN = re.compile(r"(?:^|(?<=\s))@((?:[\w.\-]+/)*[\w.\-]+) ?:([\w.]*)$")


@dataclass
class Item:
    """One choice: what replaces the typed token, what the menu shows, and a one-line help."""

    insert: str
    label: str
    help: str = ""


@dataclass
class Completion:
    """Choices for the token from column `start` to `end` of the cursor's line."""

    kind: str  # "command" | "file" | "symbol"
    start: int
    end: int
    items: list[Item] = field(default_factory=list)


class Completer:
    """Finds completions: commands from a callable (name, help), files from the repository (cached)."""

    def __init__(self, root: Path | None, commands: Callable[[], list[tuple[str, str]]]) -> None:
        self.root = root
        self.commands = commands
        self.sync_limit = SYNC_FILES

    def slow(self, before: str) -> bool:
        """Whether completing this would rank more files than the UI thread should (an `@` in a huge repository)."""
        if self.root is None:
            return False
        if SYMBOL_TOKEN.search(before):  # may read the symbol index from disk
            return True
        return AT_TOKEN.search(before) is not None and len(list_files(self.root)) > self.sync_limit

    def complete(self, line: str, row: int, col: int) -> Completion | None:
        """The completion for the text before the cursor, or None."""
        before = line[:col]
        if row == 0 and before.startswith("/") and not any(c.isspace() for c in before):
            query = before[1:].lower()
            named = self.commands()
            hits = [c for c in named if c[0].startswith(query)] + [c for c in named if query in c[0][1:] and
                                                                     not c[0].startswith(query)]
            items = [Item(f"/{name} ", f"/{name}", text) for name, text in hits[:MAX_COMMANDS]]
            return Completion("command", 0, col, items) if items else None
        symbol = SYMBOL_TOKEN.search(before)
        if symbol and self.root is not None:
            return self._symbols(symbol, col)
        match = AT_TOKEN.search(before)
        if match and self.root is not None:
            paths = rank(match.group(1), list_files(self.root), MAX_ITEMS)
            items = [Item(f"@{p} ", p) for p in paths]
            return Completion("file", match.start(), col, items) if items else None
        return None


    def _symbols(self, match: re.Match[str], col: int) -> Completion | None:
        """Symbols of the file in `@path:Name`, fuzzy-ranked by the typed part of the name."""
        from agent.core.mentions import symbol_names

        path, query = match.group(1), match.group(2)
        kinds = dict(symbol_names(self.root, path))  # type: ignore[arg-type]
        names = rank(query, list(kinds), MAX_ITEMS)
        items = [Item(f"@{path}:{name} ", name, kinds[name]) for name in names]
        return Completion("symbol", match.start(), col, items) if items else None


class CompletionMenu(OptionList):
    """A list above the composer; it never takes focus (the composer forwards keys to it)."""

    DEFAULT_CSS = """
    CompletionMenu { display: none; height: auto; max-height: 12; margin: 0 1; border: round $accent;
                     background: $panel; padding: 0; }
    CompletionMenu.-open { display: block; }
    """
    can_focus = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.completion: Completion | None = None

    def show(self, completion: Completion) -> None:
        """Fill and open the menu (the first choice highlighted)."""
        self.completion = completion
        prompts = []
        for item in completion.items:
            text = Text(item.label, style="bold")
            if item.help:
                text.append("  " + item.help, style="dim")
            prompts.append(Option(text))
        self.set_options(prompts)
        self.highlighted = 0
        self.add_class("-open")

    def hide(self) -> None:
        """Close the menu."""
        self.completion = None
        self.remove_class("-open")

    @property
    def is_open(self) -> bool:
        """Whether the menu shows choices."""
        return self.completion is not None

    def chosen(self) -> Item | None:
        """The highlighted choice."""
        if self.completion is None or self.highlighted is None:
            return None
        return self.completion.items[self.highlighted]


class CompletionController:
    """Connects a composer and its menu: recomputes on each change, takes Up/Down/Tab/Enter/Escape while open."""

    def __init__(self, composer: Composer, menu: CompletionMenu, completer: Completer) -> None:
        self.composer = composer
        self.menu = menu
        self.completer = completer
        self.suppressed = False
        composer.completion = self

    def update(self) -> None:
        """Open, refresh or close the menu for the text before the cursor."""
        if self.suppressed or self.composer.selection.start != self.composer.selection.end or self._recalled():
            self.menu.hide()
            return
        row, col = self.composer.cursor_location
        line = self.composer.document.get_line(row)
        if self.completer.slow(line[:col]):  # a huge repository: rank off the UI thread, keep typing smooth
            work = functools.partial(self._rank_later, line, row, col)  # a callable: a cancelled one is never called
            self.composer.run_worker(work, group="completion", exclusive=True)
            return
        self._show(self.completer.complete(line, row, col))

    def _show(self, completion: Completion | None) -> None:
        """Open the menu with `completion`, or close it."""
        if completion is None:
            self.menu.hide()
        else:
            self.menu.show(completion)

    async def _rank_later(self, line: str, row: int, col: int) -> None:
        """Rank in a thread; show the result only if the text before the cursor is still the same."""
        completion = await asyncio.to_thread(self.completer.complete, line, row, col)
        now_row, now_col = self.composer.cursor_location
        if (now_row, now_col) == (row, col) and self.composer.document.get_line(row)[:col] == line[:col]:
            self._show(completion)

    def _recalled(self) -> bool:
        """Whether the composer shows an unedited history entry (Up/Down keep walking the history then)."""
        index = getattr(self.composer, "_cursor_in_history", None)
        sent = self.composer.sent
        return index is not None and 0 <= index < len(sent) and self.composer.text == sent[index]

    def on_key(self, key: str) -> bool:
        """Handle a key while the menu is open; True when it was used."""
        if not self.menu.is_open:
            return False
        if key in ("up", "down"):
            count = len(self.menu.completion.items)  # type: ignore[union-attr]
            self.menu.highlighted = ((self.menu.highlighted or 0) + (1 if key == "down" else -1)) % count
            return True
        if key == "escape":
            self.menu.hide()
            return True
        if key in ("tab", "enter"):
            self._catch_up()
            return self.menu.is_open and self.accept(submit_if_complete=key == "enter")
        return False

    def _catch_up(self) -> None:
        """Recompute a menu older than the text: keys typed faster than the change messages ("/he" Tab)."""
        completion = self.menu.completion
        row, col = self.composer.cursor_location
        if completion is not None and col != completion.end and not self.completer.slow(
                self.composer.document.get_line(row)[:col]):
            self._show(self.completer.complete(self.composer.document.get_line(row), row, col))

    def accept(self, submit_if_complete: bool = False) -> bool:
        """Replace the typed token with the choice; Enter on a choice already typed in full lets the message go."""
        completion, item = self.menu.completion, self.menu.chosen()
        if completion is None or item is None:
            return False
        row = self.composer.cursor_location[0]
        typed = self.composer.document.get_line(row)[completion.start:completion.end]
        if submit_if_complete and typed == item.insert.strip():
            self.menu.hide()
            return False
        self.composer.replace(item.insert, (row, completion.start), (row, completion.end))
        self.composer.move_cursor((row, completion.start + len(item.insert)))
        self.menu.hide()
        return True
