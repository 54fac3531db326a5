"""Command output: bounded capture (head and tail kept, the middle counted) and neutralized control sequences."""
from __future__ import annotations

import codecs
import re

HEAD_BYTES = 16_000
TAIL_BYTES = 24_000
HEAD_CHARS = 4000
TAIL_CHARS = 6000
HEAD_LINES = 60
TAIL_LINES = 120
LIVE_CHARS = 8000

# C0 controls except \t and \n, DEL, and C1 controls (\x9b is a CSI on 8-bit terminals): shown, never obeyed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    """ESC as ␛, other C0 as their control picture, DEL as ␡, C1 as <U+0085>-style text."""
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def neutralize(text: str) -> str:
    """Make terminal control sequences visible and inert (\r\n and lone \r become newlines)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(_visible, text)


def cap_output(text: str) -> str:
    """Keep the head and tail of long output (by lines, then by characters) and say how much was cut."""
    lines = text.splitlines(keepends=True)
    if len(lines) > HEAD_LINES + TAIL_LINES:
        cut = len(lines) - HEAD_LINES - TAIL_LINES
        text = ("".join(lines[:HEAD_LINES]) + f"[… {cut} lines cut; rerun with a narrower command (e.g. -x, -q, | tail) …]\n"
                + "".join(lines[-TAIL_LINES:]))
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    cut = len(text) - HEAD_CHARS - TAIL_CHARS
    lines_cut = text[HEAD_CHARS:-TAIL_CHARS].count("\n")
    return (
        text[:HEAD_CHARS]
        + f"\n[… {cut} chars / {lines_cut} lines cut; rerun with a narrower command (e.g. -x, -q, | grep) …]\n"
        + text[-TAIL_CHARS:]
    )


class Capture:
    """Output as it arrives: the first HEAD_BYTES and last TAIL_BYTES in memory, nothing on disk, the rest counted."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []
        self._pending_chars = 0
        self.skipped = 0  # characters of live output dropped between two flushes

    def feed(self, chunk: bytes) -> None:
        """Take one chunk read from the pipe."""
        self.total += len(chunk)
        live = self._decoder.decode(chunk)
        room = HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > TAIL_BYTES:
                del self.tail[:len(self.tail) - TAIL_BYTES]
        self._pending.append(live)
        self._pending_chars += len(live)
        while self._pending_chars > LIVE_CHARS and len(self._pending) > 1:
            dropped = self._pending.pop(0)
            self._pending_chars -= len(dropped)
            self.skipped += len(dropped)

    def take_live(self) -> str:
        """The neutralized output that arrived since the last call (the newest LIVE_CHARS of it)."""
        text = "".join(self._pending)
        if len(text) > LIVE_CHARS:
            self.skipped += len(text) - LIVE_CHARS
            text = text[-LIVE_CHARS:]
        note = f"[… {self.skipped} chars not shown live …]\n" if self.skipped else ""
        self._pending, self._pending_chars, self.skipped = [], 0, 0
        return note + neutralize(text) if text or note else ""

    def text(self) -> str:
        """Everything kept, decoded, neutralized and capped for the model."""
        if self.total <= HEAD_BYTES + TAIL_BYTES:
            return cap_output(neutralize(bytes(self.head + self.tail).decode("utf-8", errors="replace")))
        head = neutralize(self.head.decode("utf-8", errors="replace"))[:HEAD_CHARS]
        tail = neutralize(self.tail.decode("utf-8", errors="replace"))[-TAIL_CHARS:]
        middle = self.total - HEAD_BYTES - TAIL_BYTES
        return (head + f"\n[… output was {self.total} bytes; {middle}+ bytes in the middle cut. Rerun with a "
                "narrower command (e.g. -x, -q, | tail) …]\n" + tail)
