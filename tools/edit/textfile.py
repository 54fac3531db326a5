"""Load and save text files exactly: encoding, BOM, line endings, final newline and mode bits survive."""
from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tools.base import ToolError
from tools.paths import check_regular, is_binary, read_regular

BOM = b"\xef\xbb\xbf"


def sha256(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class TextFile:
    """A decoded text file; `text` uses LF unless `eol_mode` is "raw" (mixed endings kept verbatim)."""

    path: Path
    raw: bytes
    text: str
    encoding: str = "utf-8"  # "utf-8" | "latin-1"
    bom: bool = False
    eol: str = "\n"  # the file's dominant line ending
    eol_mode: str = "lf"  # "lf": text is LF and encoded with `eol`; "raw": text kept as in the file
    mode: int | None = None  # permission bits of an existing file

    @property
    def exists(self) -> bool:
        """Whether the file existed when loaded."""
        return self.mode is not None

    def encode(self, text: str) -> bytes:
        """Encode text the way the file was encoded; ToolError when a character cannot be represented."""
        if self.eol_mode == "lf" and self.eol != "\n":
            text = text.replace("\n", self.eol)
        try:
            body = text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            bad = text[exc.start:exc.end]
            raise ToolError(
                f"{self.path.name} is {self.encoding}-encoded and cannot hold {bad!r}; "
                "use only characters representable in that encoding"
            ) from None
        return (BOM if self.bom else b"") + body

    def adapt_new(self, snippet: str) -> str:
        """Make model text (LF) fit the in-memory text: raw-mode files get the dominant line ending."""
        if self.eol_mode == "raw" and self.eol != "\n":
            return snippet.replace("\r\n", "\n").replace("\n", self.eol)
        return snippet.replace("\r\n", "\n") if self.eol_mode == "lf" else snippet


def _dominant_eol(text: str) -> tuple[str, bool]:
    """(dominant line ending, whether endings are mixed)."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    kinds = [(crlf, "\r\n"), (lf, "\n"), (cr, "\r")]
    present = [k for k in kinds if k[0]]
    if not present:
        return "\n", False
    return max(present)[1], len(present) > 1


def decode(path: Path, raw: bytes) -> TextFile:
    """Decode bytes into a TextFile that re-encodes to exactly `raw`."""
    if is_binary(raw):
        raise ToolError(f"{path.name} is a binary file ({len(raw)} bytes); edit tools only change text files")
    bom = raw.startswith(BOM)
    body = raw[3:] if bom else raw
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = body.decode("latin-1"), "latin-1"
    eol, mixed = _dominant_eol(text)
    tf = TextFile(path=path, raw=raw, text=text, encoding=encoding, bom=bom, eol=eol, eol_mode="raw")
    if not mixed and eol != "\n":
        candidate = TextFile(path, raw, text.replace(eol, "\n"), encoding, bom, eol, "lf")
        if candidate.encode(candidate.text) == raw:
            tf = candidate
    elif not mixed:
        tf.eol_mode = "lf"
    return tf


def check_writable(path: Path, shown: str) -> None:
    """Refuse read-only files (by mode bits, so root is refused too) and unwritable folders."""
    if path.exists():
        if path.is_dir():
            raise ToolError(f"{shown} is a directory")
        check_regular(path, shown)
        mode = path.stat().st_mode
        if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
            raise ToolError(f"{shown} is read-only (mode {stat.filemode(mode)}); not changed")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ToolError(f"{shown}: folder {parent.name or parent} is not writable")


def load(path: Path, shown: str) -> TextFile:
    """Read an existing text file for editing."""
    if path.is_dir():
        raise ToolError(f"{shown} is a directory")
    if not path.exists():
        raise ToolError(f"{shown}: no such file (use write_file to create it)")
    check_writable(path, shown)
    tf = decode(path, read_regular(path, shown))
    tf.mode = stat.S_IMODE(path.stat().st_mode)
    return tf


def _default_mode() -> int:
    """0o666 minus the process umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, data: bytes, mode: int | None) -> None:
    """Write via a temp file in the same folder, fsync, chmod, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".pith-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else _default_mode())
        if path.exists():
            st = path.stat()
            if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
