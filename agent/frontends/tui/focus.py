"""Where keys go on the main screen: typing lands in the composer; queued messages go out when a turn ends."""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.widgets import Input, TextArea

from agent.core.events import TurnStatus
from agent.frontends.tui.widgets.composer import Composer
from agent.frontends.tui.widgets.hints import QueuedBar

if TYPE_CHECKING:
    from agent.frontends.tui.host import Host


def redirect_typing(app: Host, event: events.Key) -> None:
    """A printable key nobody handled (the focus is on a tool block, say): focus the composer and type it there."""
    if len(app.screen_stack) > 1 or not event.is_printable or not event.character:
        return
    if isinstance(app.focused, (TextArea, Input)):
        return
    composer = app.query_one(Composer)
    composer.focus()
    composer.insert(event.character)
    event.stop()
    event.prevent_default()


def end_jumps(app: Host) -> bool:
    """End jumps to the latest output when it would do nothing in the composer (empty, or focus elsewhere)."""
    if len(app.screen_stack) > 1:
        return False
    focused = app.focused
    if isinstance(focused, Composer):
        return not focused.text
    return not isinstance(focused, (TextArea, Input))


def send_queued(app: Host, status: str) -> None:
    """Send the queued messages as one turn; after an interrupt, put them back in the composer instead."""
    bar = app.query_one(QueuedBar)
    if not bar.items or app.busy:
        return
    text = bar.take()
    if status == TurnStatus.INTERRUPTED:
        composer = app.query_one(Composer)
        composer.load_text(text + ("\n" + composer.text if composer.text.strip() else ""))
        composer.move_cursor(composer.document.end)
        if app.view is not None:
            app.view.notice("the turn was interrupted: your queued message is back in the composer", "dim")
        return
    app.send(text)
