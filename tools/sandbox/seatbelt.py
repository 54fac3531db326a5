"""macOS: a Seatbelt (SBPL) profile for `sandbox-exec`: read everywhere, write only in the workspace, no network."""
from __future__ import annotations

from pathlib import Path

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

PROFILE = """(version 1)
(deny default)
(allow process-exec process-fork)
(allow signal (target same-sandbox))
(allow file-read*)
(allow sysctl-read)
(allow mach-lookup)
(allow ipc-posix-shm ipc-posix-sem)
(allow pseudo-tty)
(allow file-ioctl (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))
(allow file-write* (literal "/dev/null") (literal "/dev/zero") (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))
(allow file-write* (subpath (param "TMP")))
"""

WORKSPACE = """(allow file-write* (require-all (subpath (param "ROOT")) (require-not (subpath (param "GIT")))))
"""


def profile(mode: str) -> str:
    """The SBPL text for a mode (workspace-write adds the repository minus .git/)."""
    return PROFILE + (WORKSPACE if mode == "workspace-write" else "")


def seatbelt_prefix(mode: str, root: Path, tmp: str, network: bool = False) -> list[str]:
    """`sandbox-exec -p PROFILE -D ROOT=... -D GIT=... -D TMP=...` (paths resolved: /tmp is /private/tmp)."""
    real = root.resolve()
    text = profile(mode) + ("(allow network*)\n" if network else "")
    return [SANDBOX_EXEC, "-p", text, "-D", f"ROOT={real}", "-D", f"GIT={real / '.git'}",
            "-D", f"TMP={Path(tmp or '/private/tmp').resolve()}"]
