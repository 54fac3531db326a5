"""The command sandbox: modes, what this machine supports, and the launcher command line for one command."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MODES = ("workspace-write", "read-only", "off")
DEFAULT_MODE = "workspace-write"


class SandboxError(ValueError):
    """A bad sandbox setting."""


def normalize_mode(value: object) -> str:
    """A mode name from a setting: old booleans map to workspace-write (true) and off (false)."""
    if value is True or value is None:
        return DEFAULT_MODE
    if value is False:
        return "off"
    text = str(value).strip().lower()
    if text in ("true", "on", "yes"):
        return DEFAULT_MODE
    if text in ("false", "no", "none"):
        return "off"
    if text not in MODES:
        raise SandboxError(f"sandbox must be one of {', '.join(MODES)} (got {value!r})")
    return text


@dataclass(frozen=True)
class Support:
    """What can confine commands here."""

    kind: str  # "landlock+namespaces" | "landlock" | "bwrap" | "seatbelt" | "none"
    landlock: int = 0
    namespaces: bool = False
    bwrap: str = ""

    @property
    def confined(self) -> bool:
        """Writes outside the workspace are blocked by the kernel."""
        return self.kind != "none"


_SUPPORT: dict[str, Support] = {}


def support(root: Path | str = ".") -> Support:
    """Probe once per process (the launcher tries Landlock and the namespace setup in a child)."""
    key = "probe"
    if key in _SUPPORT:
        return _SUPPORT[key]
    if sys.platform == "darwin":
        found = Support("seatbelt") if shutil.which("sandbox-exec") else Support("none")
    elif sys.platform.startswith("linux"):
        found = _probe_linux(str(root))
    else:
        found = Support("none")
    _SUPPORT[key] = found
    return found


def _probe_linux(root: str) -> Support:
    """Ask the launcher what works; bubblewrap counts only when it can start."""
    try:
        out = subprocess.run([*launcher(), "--probe", "--root", root], capture_output=True, text=True, timeout=20,
                             env=_clean_env())
        report = json.loads(out.stdout or "{}")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        report = {}
    abi, ns = int(report.get("landlock") or 0), bool(report.get("namespaces"))
    bwrap = shutil.which("bwrap") or ""
    if bwrap and subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True,
                                timeout=20).returncode != 0:
        bwrap = ""
    if bwrap:
        return Support("bwrap", abi, ns, bwrap)
    if abi and ns:
        return Support("landlock+namespaces", abi, ns)
    return Support("landlock" if abi else "none", abi, ns)


def _clean_env() -> dict[str, str]:
    """A minimal environment for the probe."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}


def launcher() -> list[str]:
    """How to start the launcher: this interpreter, isolated (no cwd on sys.path: a repo cannot shadow it) and
    without site-packages (it needs only the standard library and its siblings; 3x faster to start)."""
    return [sys.executable, "-I", "-S", str(Path(__file__).with_name("launch.py"))]


def wrap(argv: list[str], mode: str, root: Path, tmp: str, sup: Support, unconfined_ok: bool = False,
         network: bool = False) -> list[str]:
    """The full command line: [bwrap | sandbox-exec ...] launcher [options] -- argv."""
    inner = [*launcher(), "--mode", mode, "--root", str(root), "--tmp", tmp, *(["--network"] if network else [])]
    if unconfined_ok or mode == "off" or not sup.confined:
        inner.append("--unconfined-ok")
    if not sup.namespaces and sup.kind != "bwrap":  # the probe saw them fail (e.g. inside another sandbox)
        inner.append("--no-namespaces")
    if mode == "off":
        return [*inner, "--", *argv]
    if sup.kind == "bwrap":
        inside = [*inner, "--no-namespaces", "--unconfined-ok", "--private-shm"]
        return [*bwrap_prefix(sup.bwrap, root, tmp, network), *inside, "--", *argv]
    if sup.kind == "seatbelt":
        from tools.sandbox.seatbelt import seatbelt_prefix

        return [*seatbelt_prefix(mode, root, tmp, network), *inner, "--unconfined-ok", "--", *argv]
    return [*inner, "--", *argv]


def bwrap_prefix(bwrap: str, root: Path, tmp: str, network: bool = False) -> list[str]:
    """bubblewrap: the system read-only, the repo and temp dir writable, .git read-only, new PID/net/IPC namespaces."""
    jail = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/dev/shm",
            "--bind", str(root), str(root)]
    git = root / ".git"
    if git.exists():
        jail += ["--ro-bind", str(git), str(git)]
    if tmp:
        jail += ["--bind", tmp, tmp]
    share = ["--share-net"] if network else []
    return jail + ["--unshare-all", *share, "--die-with-parent", "--new-session", "--chdir", str(root), "--"]


def notice(mode: str, sup: Support | None) -> str:
    """What to tell the user once at the start, or '' when the default protection is in place."""
    if mode == "off":
        return ("sandbox OFF (--sandbox off): commands run with your full permissions: they can change files "
                "outside the repository, use the network and read your environment")
    if sup is None or not sup.confined:
        return ("no sandbox is available here (no Landlock, bubblewrap or sandbox-exec): commands are not confined; "
                "in auto mode only read-only and test commands run without a person's approval")
    if sup.kind == "landlock":
        return ("sandbox: Landlock only (no user namespaces): writes are confined to the repository and the temp dir, "
                "but .git/ stays writable and other processes' environments are readable")
    return ""

